-- A ticket's booking, and the changes since the caller's view (so that a dispatcher
-- whose search found nothing searches again on fresh loads, in the same round trip).
--
-- KEYS: 1 the ticket's record, 2 log, 3 seq
-- ARGV: 1 the caller's last change number, 2 the most changes to return
-- Reply: {"none", {}, changes} | {"ok", booking fields, changes}
local since, max = num(ARGV[1]), num(ARGV[2])
local rec = booking(KEYS[1])
if not rec then
  return {'none', {}, changes_since(KEYS[2], KEYS[3], since, max)}
end
return {'ok', rec, changes_since(KEYS[2], KEYS[3], since, max)}
