-- servnet ledger: helpers every script starts with (the Rust side prepends this file).
--
-- Every script is one atomic step. It reads and checks everything it needs before its
-- first write, so an error (a corrupt value, a wrong key type) aborts it with nothing
-- written: Redis does not roll back a script's earlier writes.
--
-- Key layout (every key carries the namespace's hash tag, so on Redis Cluster all of a
-- namespace lives in one slot and every script may touch any of its keys):
--   {ns}:load:<date>  hash: "<skill>|<outlet>" -> units booked on that outlet skill,
--                     "|<outlet>" -> units booked on the outlet (all skills), that day
--   {ns}:ext:<date>   hash: "<skill>|<outlet>" -> units committed outside servnet
--                     (the network's `load`), included in the day's loads
--   {ns}:day:<date>   set: the tickets booked on that day (dropped with it on roll-over)
--   {ns}:t:<ticket>   hash: the ticket's booking (see BOOKING_FIELDS)
--   {ns}:holds        sorted set: ticket id scored by its hold's expiry (ms)
--   {ns}:hold_ids     hash: hold id -> ticket id
--   {ns}:hold_seq     counter: the last hold id given
--   {ns}:seq          counter: the number of the last change in the log
--   {ns}:log          list: the latest changes, oldest first (see log_change)
--   {ns}:ratings      hash: "<skill>|<outlet>" -> "<rating milli-points> <count>"
--   {ns}:start        day 0 (YYYY-MM-DD) of every dispatcher on the namespace
--   {ns}:first        the first day still counted (days before it rolled out)
--   {ns}:network      list: the network change lists applied, in order (JSON arrays)

-- The booking fields, in the order every reply lists them: the offer field
-- ("<skill>|<outlet>"), the date, units, the dispatcher's record (opaque here), the
-- ticket's content fingerprint, the hold id (0: none), the hold's expiry in ms ("" if
-- none), and the state (booked, held, done).
local BOOKING_FIELDS = {'f', 'd', 'u', 'b', 'c', 'h', 'x', 's'}

-- A counter read from Redis: 0 when absent; an error (before any write) when corrupt.
local function num(v)
  if not v then return 0 end
  local n = tonumber(v)
  if not n then error('servnet ledger: a counter holds ' .. tostring(v) .. ', not a number') end
  return n
end

-- The booking of the ticket whose record key is `key`, or nil.
local function booking(key)
  local rec = redis.call('HMGET', key, unpack(BOOKING_FIELDS))
  if not rec[1] then return nil end
  return rec
end

-- "|<outlet>": the outlet-wide field of an offer field "<skill>|<outlet>".
local function outlet_field(f)
  local at = string.find(f, '|', 1, true)
  if not at then error('servnet ledger: bad offer field ' .. f) end
  return string.sub(f, at)
end

-- Appends one change to the log; keeps about `keep` of the latest ones. Returns the
-- change's number and the entry.
local function log_change(log, seq, keep, entry)
  local n = redis.call('INCR', seq)
  redis.call('RPUSH', log, entry)
  if n % 64 == 0 then redis.call('LTRIM', log, -keep, -1) end
  return n, entry
end

-- Load changes are "L|<date>|<offer units>|<outlet units>|<skill>|<outlet>": the
-- counters' new values (not differences), so applying them in order is exact and
-- applying one twice is harmless.
local function log_load(log, seq, keep, date, f, a, b)
  return log_change(log, seq, keep, 'L|' .. date .. '|' .. a .. '|' .. b .. '|' .. f)
end

-- {last change number, the change number the returned ones follow (-1: the caller's
-- view is too old or ahead of this log: reload), up to `max` changes after `since`}.
-- `last` (optional) is the last change number when the caller has just logged it.
local function changes_since(log, seq, since, max, last)
  last = last or num(redis.call('GET', seq))
  if since > last then return {last, -1, {}} end
  if max <= 0 or since == last then return {last, since, {}} end
  local len = redis.call('LLEN', log)
  local first = last - len + 1
  if since + 1 < first then return {last, -1, {}} end
  local from = since + 1 - first
  local to = math.min(from + max, len) - 1
  return {last, since, redis.call('LRANGE', log, from, to)}
end

-- Returns a booking's units to its day's counters (never below 0), deletes its record
-- and its hold; logs the change. `rec` is the booking as `booking` read it.
local function unbook(prefix, ticket, key, rec, holds, hold_ids, log, seq, keep)
  local f, date, units = rec[1], rec[2], num(rec[3])
  local of = outlet_field(f)
  local loads = prefix .. 'load:' .. date
  local used = redis.call('HMGET', loads, f, of)
  local a = math.max(num(used[1]) - units, 0)
  local b = math.max(num(used[2]) - units, 0)
  redis.call('HSET', loads, f, a, of, b)
  redis.call('DEL', key)
  redis.call('SREM', prefix .. 'day:' .. date, ticket)
  if rec[6] and rec[6] ~= '0' then
    redis.call('ZREM', holds, ticket)
    redis.call('HDEL', hold_ids, rec[6])
  end
  log_load(log, seq, keep, date, f, a, b)
end
