-- Drops a day that rolled out of the window: up to `limit` of its bookings per call
-- (with their holds), then, once none is left, its counters; records the first day
-- still counted.
--
-- KEYS: 1 the day's tickets, 2 the day's loads, 3 the day's external loads, 4 first,
--       5 holds, 6 hold_ids
-- ARGV: 1 key prefix "{ns}:", 2 limit, 3 the new first day
-- Reply: the number of bookings still to drop (0: the day is gone)
local gone = redis.call('SPOP', KEYS[1], num(ARGV[2]))
for _, ticket in ipairs(gone) do
  local key = ARGV[1] .. 't:' .. ticket
  local hold = redis.call('HGET', key, 'h')
  if hold and hold ~= '0' then
    redis.call('ZREM', KEYS[5], ticket)
    redis.call('HDEL', KEYS[6], hold)
  end
  redis.call('DEL', key)
end
local left = redis.call('SCARD', KEYS[1])
if left == 0 then
  redis.call('DEL', KEYS[2], KEYS[3])
  if num(redis.call('GET', KEYS[4])) < num(ARGV[3]) then
    redis.call('SET', KEYS[4], ARGV[3])
  end
end
return left
