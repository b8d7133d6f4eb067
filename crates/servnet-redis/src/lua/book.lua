-- Books a ticket on one outlet skill for one day, if the ticket id is new and both
-- counters stay within their limits; else answers with the ticket's booking or "full".
--
-- KEYS: 1 the ticket's record, 2 the day's loads, 3 log, 4 seq, 5 holds, 6 hold_ids,
--       7 hold_seq, 8 the day's tickets
-- ARGV: 1 ticket id, 2 offer field "<skill>|<outlet>", 3 units, 4 the offer's limit,
--       5 the outlet's limit, 6 date, 7 the dispatcher's record, 8 content fingerprint,
--       9 hold expiry in ms ("" for a firm booking), 10 the caller's last change number,
--       11 the most changes to return, 12 the changes the log keeps
-- Reply: {"dup", booking fields, changes} | {"full", {offer units, outlet units}, changes}
--      | {"ok", {hold id, offer units, outlet units}, changes}
local since, max, keep = num(ARGV[10]), num(ARGV[11]), num(ARGV[12])
local rec = booking(KEYS[1])
if rec then
  return {'dup', rec, changes_since(KEYS[3], KEYS[4], since, max)}
end
local f = ARGV[2]
local of = outlet_field(f)
local units = num(ARGV[3])
local used = redis.call('HMGET', KEYS[2], f, of)
local a, b = num(used[1]), num(used[2])
if a + units > num(ARGV[4]) or b + units > num(ARGV[5]) then
  return {'full', {a, b}, changes_since(KEYS[3], KEYS[4], since, max)}
end
-- Both counters in one command (the script is atomic: nothing ran since the read).
a, b = a + units, b + units
redis.call('HSET', KEYS[2], f, a, of, b)
local hold, state = 0, 'booked'
if ARGV[9] ~= '' then
  hold = redis.call('INCR', KEYS[7])
  redis.call('ZADD', KEYS[5], ARGV[9], ARGV[1])
  redis.call('HSET', KEYS[6], hold, ARGV[1])
  state = 'held'
end
redis.call('HSET', KEYS[1], 'f', f, 'd', ARGV[6], 'u', units, 'b', ARGV[7], 'c', ARGV[8],
  'h', hold, 'x', ARGV[9], 's', state)
redis.call('SADD', KEYS[8], ARGV[1])
local n, entry = log_load(KEYS[3], KEYS[4], keep, ARGV[6], f, a, b)
-- The common case of a view that was up to date: the only change is this one.
if since == n - 1 and max > 0 then
  return {'ok', {hold, a, b}, {n, since, {entry}}}
end
return {'ok', {hold, a, b}, changes_since(KEYS[3], KEYS[4], since, max, n)}
