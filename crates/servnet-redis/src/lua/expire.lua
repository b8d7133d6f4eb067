-- Releases holds that expired at or before `now`, at most `limit` of them per call.
--
-- KEYS: 1 holds, 2 hold_ids, 3 log, 4 seq
-- ARGV: 1 now in ms, 2 limit, 3 key prefix "{ns}:", 4 the caller's last change number,
--       5 the most changes to return, 6 the changes the log keeps
-- Reply: {"ok", {{ticket id, booking fields...} per released hold}, changes}
local since, max, keep = num(ARGV[4]), num(ARGV[5]), num(ARGV[6])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, num(ARGV[2]))
local done = {}
for _, ticket in ipairs(due) do
  local key = ARGV[3] .. 't:' .. ticket
  local rec = booking(key)
  if rec then
    unbook(ARGV[3], ticket, key, rec, KEYS[1], KEYS[2], KEYS[3], KEYS[4], keep)
    local out = {ticket}
    for i = 1, #rec do out[i + 1] = rec[i] end
    done[#done + 1] = out
  else
    -- A hold whose record is gone (released meanwhile): drop the stale entry.
    redis.call('ZREM', KEYS[1], ticket)
  end
end
return {'ok', done, changes_since(KEYS[3], KEYS[4], since, max)}
