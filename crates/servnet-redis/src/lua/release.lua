-- Cancels a ticket's booking (firm or held) and returns its units.
--
-- KEYS: 1 the ticket's record, 2 log, 3 seq, 4 holds, 5 hold_ids
-- ARGV: 1 ticket id, 2 key prefix "{ns}:", 3 the caller's last change number,
--       4 the most changes to return, 5 the changes the log keeps
-- Reply: {"none", {}, changes} | {"done", booking fields, changes} (completed: kept)
--      | {"ok", booking fields, changes}
local since, max, keep = num(ARGV[3]), num(ARGV[4]), num(ARGV[5])
local rec = booking(KEYS[1])
if not rec then
  return {'none', {}, changes_since(KEYS[2], KEYS[3], since, max)}
end
if rec[8] == 'done' then
  return {'done', rec, changes_since(KEYS[2], KEYS[3], since, max)}
end
unbook(ARGV[2], ARGV[1], KEYS[1], rec, KEYS[4], KEYS[5], KEYS[2], KEYS[3], keep)
return {'ok', rec, changes_since(KEYS[2], KEYS[3], since, max)}
