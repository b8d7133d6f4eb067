-- Sets the units committed outside servnet (the network's `load`) on an outlet skill
-- for a day; the day's counters move by the difference (never below 0). Setting the
-- same value again changes nothing, so processes starting at once may all set it.
--
-- KEYS: 1 the day's external loads, 2 the day's loads, 3 log, 4 seq
-- ARGV: 1 offer field "<skill>|<outlet>", 2 units, 3 date, 4 the changes the log keeps
-- Reply: {offer units, outlet units} after the change
local f = ARGV[1]
local of = outlet_field(f)
local units, keep = num(ARGV[2]), num(ARGV[4])
local before = num(redis.call('HGET', KEYS[1], f))
local used = redis.call('HMGET', KEYS[2], f, of)
local a, b = num(used[1]), num(used[2])
if units == before then return {a, b} end
a = math.max(a + units - before, 0)
b = math.max(b + units - before, 0)
redis.call('HSET', KEYS[2], f, a, of, b)
if units == 0 then
  redis.call('HDEL', KEYS[1], f)
else
  redis.call('HSET', KEYS[1], f, units)
end
log_load(KEYS[3], KEYS[4], keep, ARGV[3], f, a, b)
return {a, b}
