-- Records a list of network changes as number ARGV[1] (0-based), unless another process
-- recorded one with that number first: every process applies the same lists in order.
--
-- KEYS: 1 network
-- ARGV: 1 the number the list takes (how many lists the caller has applied),
--       2 the list (JSON)
-- Reply: {1 if recorded else 0, the lists recorded after the step}
local n = redis.call('LLEN', KEYS[1])
if n ~= tonumber(ARGV[1]) then return {0, n} end
return {1, redis.call('RPUSH', KEYS[1], ARGV[2])}
