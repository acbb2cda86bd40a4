// One page session by the SHA-256 of its id.
MATCH (s:PageSession {id: $id})
RETURN s {.id, .key_id, .created_at, .seen_at, .expires_at} AS session
