// A page session was used: its idle time starts again.
MATCH (s:PageSession {id: $id})
SET s.seen_at = $now
RETURN s.id AS id
