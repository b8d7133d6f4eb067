-- Turns a hold into a firm booking, unless it expired at `now` (then its units are
-- returned, as `expire` would). A hold confirmed before answers "ok" again with nothing
-- changed, as long as its booking stands: the record keeps the hold id it was made as,
-- and hold_ids keeps hold -> ticket until the booking is released, completed, expired
-- or rolled out.
--
-- KEYS: 1 hold_ids, 2 holds, 3 log, 4 seq
-- ARGV: 1 hold id, 2 now in ms, 3 key prefix "{ns}:", 4 the caller's last change
--       number, 5 the most changes to return, 6 the changes the log keeps
-- Reply: {"none", {}, changes} | {"expired" | "ok", {ticket id, booking fields...}, changes}
local since, max, keep = num(ARGV[4]), num(ARGV[5]), num(ARGV[6])
local now = num(ARGV[2])
local ticket = redis.call('HGET', KEYS[1], ARGV[1])
local key = ticket and (ARGV[3] .. 't:' .. ticket)
local rec = key and booking(key)
if not rec or rec[6] ~= ARGV[1] or rec[8] == 'done' then
  return {'none', {}, changes_since(KEYS[3], KEYS[4], since, max)}
end
local out = {ticket}
for i = 1, #rec do out[i + 1] = rec[i] end
if rec[8] == 'booked' then
  return {'ok', out, changes_since(KEYS[3], KEYS[4], since, max)}
end
if now >= num(rec[7]) then
  unbook(ARGV[3], ticket, key, rec, KEYS[2], KEYS[1], KEYS[3], KEYS[4], keep)
  return {'expired', out, changes_since(KEYS[3], KEYS[4], since, max)}
end
redis.call('HSET', key, 'x', '', 's', 'booked')
redis.call('ZREM', KEYS[2], ticket)
out[8], out[9] = '', 'booked'
return {'ok', out, changes_since(KEYS[3], KEYS[4], since, max)}
