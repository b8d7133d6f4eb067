-- What a dispatcher binding to the namespace needs first: day 0 (set now from the
-- dispatcher's if the namespace has none), the first day counted, and whether anything
-- was ever booked.
--
-- KEYS: 1 start, 2 first, 3 seq
-- ARGV: 1 the dispatcher's day 0 (YYYY-MM-DD, or "" if it has none)
-- Reply: {day 0 or "", first day, 1 if fresh}
if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'NX') end
local start = redis.call('GET', KEYS[1]) or ''
local fresh = 0
if redis.call('EXISTS', KEYS[3]) == 0 then fresh = 1 end
return {start, num(redis.call('GET', KEYS[2])), fresh}
