// Stores a new API key: only the SHA-256 of its secret is kept, never the secret.
CREATE (k:ApiKey {id: $id})
SET k.hash = $hash, k.role = $role, k.name = $key_name, k.created_at = $created_at
RETURN k {.id, .role, .name, .created_at, .revoked_at} AS key
