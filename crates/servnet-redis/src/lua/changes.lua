-- The changes since the caller's view, nothing else (a view brought up to date before
-- it is read, e.g. for a report of the loads).
--
-- KEYS: 1 log, 2 seq
-- ARGV: 1 the caller's last change number, 2 the most changes to return
-- Reply: {"ok", {}, changes}
return {'ok', {}, changes_since(KEYS[1], KEYS[2], num(ARGV[1]), num(ARGV[2]))}
