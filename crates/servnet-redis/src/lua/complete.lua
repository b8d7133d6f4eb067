-- Marks a ticket's booking done (its units stay used that day; the id never books
-- again) and adds a follow-up rating to its outlet skill. A held booking is refused
-- (confirm the hold first): nothing changes.
--
-- KEYS: 1 the ticket's record, 2 ratings, 3 log, 4 seq, 5 holds, 6 hold_ids
-- ARGV: 1 ticket id, 2 rating in milli-points (0: none), 3 the caller's last change
--       number, 4 the most changes to return, 5 the changes the log keeps
-- Reply: {"none", {}, changes} | {"done", booking fields, changes} (completed before)
--      | {"held", booking fields, changes} (refused)
--      | {"ok", booking fields, changes} with, when rated,
--        the outlet skill's new "<milli> <count>" appended to the booking fields
local since, max, keep = num(ARGV[3]), num(ARGV[4]), num(ARGV[5])
local rec = booking(KEYS[1])
if not rec then
  return {'none', {}, changes_since(KEYS[3], KEYS[4], since, max)}
end
if rec[8] == 'done' or rec[8] == 'held' then
  return {rec[8], rec, changes_since(KEYS[3], KEYS[4], since, max)}
end
local milli = num(ARGV[2])
local total
if milli > 0 then
  local was = redis.call('HGET', KEYS[2], rec[1])
  local m, n = 0, 0
  if was then
    local sm, sn = string.match(was, '^(%d+) (%d+)$')
    if not sm then error('servnet ledger: a rating holds ' .. was) end
    m, n = tonumber(sm), tonumber(sn)
  end
  total = (m + milli) .. ' ' .. (n + 1)
end
-- A confirmed hold's id is forgotten (the record keeps it).
if rec[6] and rec[6] ~= '0' then
  redis.call('HDEL', KEYS[6], rec[6])
end
redis.call('HSET', KEYS[1], 's', 'done')
rec[8] = 'done'
if total then
  redis.call('HSET', KEYS[2], rec[1], total)
  log_change(KEYS[3], KEYS[4], keep, 'R|' .. total .. '|' .. rec[1])
  rec[9] = total
end
return {'ok', rec, changes_since(KEYS[3], KEYS[4], since, max)}
