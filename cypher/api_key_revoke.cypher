// Revokes an API key (kept for the audit trail); a second revoke keeps the first time.
// The page sessions opened with the key end with it.
MATCH (k:ApiKey {id: $id})
SET k.revoked_at = coalesce(k.revoked_at, $revoked_at)
WITH k
OPTIONAL MATCH (s:PageSession {key_id: k.id})
DETACH DELETE s
WITH DISTINCT k
RETURN k {.id, .role, .name, .created_at, .revoked_at} AS key
