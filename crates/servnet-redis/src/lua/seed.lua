-- Books the network's own loads (an outlet skill's `load`, units already committed)
-- on a day, once per namespace and day however many processes start at once.
--
-- KEYS: 1 seeded, 2 the day's loads, 3 log, 4 seq
-- ARGV: 1 date, 2 the changes the log keeps, then pairs (offer field, units)
-- Reply: 1 if this call booked them, 0 if they were booked before
local keep = num(ARGV[2])
for i = 3, #ARGV, 2 do
  outlet_field(ARGV[i])
  num(ARGV[i + 1])
end
if redis.call('HSETNX', KEYS[1], ARGV[1], 1) == 0 then return 0 end
for i = 3, #ARGV, 2 do
  local f, units = ARGV[i], num(ARGV[i + 1])
  local of = outlet_field(f)
  local a = redis.call('HINCRBY', KEYS[2], f, units)
  local b = redis.call('HINCRBY', KEYS[2], of, units)
  log_load(KEYS[3], KEYS[4], keep, ARGV[1], f, a, b)
end
return 1
