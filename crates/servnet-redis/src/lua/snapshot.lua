-- Everything a process's view of loads and ratings is built from, read at one instant.
--
-- KEYS: 1 seq, 2 ratings, 3.. the loads of each day asked for
-- Reply: {last change number, ratings as a flat field/value list, then one flat
--        field/value list per day, in KEYS order}
local out = {num(redis.call('GET', KEYS[1])), redis.call('HGETALL', KEYS[2])}
for i = 3, #KEYS do
  out[#out + 1] = redis.call('HGETALL', KEYS[i])
end
return out
