// Every API key, newest first, without the hashes.
MATCH (k:ApiKey)
RETURN k {.id, .role, .name, .created_at, .revoked_at} AS key
ORDER BY k.created_at DESC, k.id
