// Revokes an API key (kept for the audit trail); a second revoke keeps the first time.
MATCH (k:ApiKey {id: $id})
SET k.revoked_at = coalesce(k.revoked_at, $revoked_at)
RETURN k {.id, .role, .name, .created_at, .revoked_at} AS key
