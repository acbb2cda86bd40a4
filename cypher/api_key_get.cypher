// One API key by its public id (the lookup half of a presented key).
MATCH (k:ApiKey {id: $id})
RETURN k {.id, .hash, .role, .name, .created_at, .revoked_at} AS key
