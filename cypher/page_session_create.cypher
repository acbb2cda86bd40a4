// Opens a page session: only the SHA-256 of its random id is stored, with the key it stands for.
// Sessions past their end are deleted on the way, so the store holds only live ones.
OPTIONAL MATCH (old:PageSession) WHERE old.expires_at < $now OR old.seen_at < $idle_before
DETACH DELETE old
WITH count(*) AS swept
CREATE (s:PageSession {id: $id})
SET s.key_id = $key_id, s.created_at = $now, s.seen_at = $now, s.expires_at = $expires_at
RETURN s {.id, .key_id, .created_at, .seen_at, .expires_at} AS session
