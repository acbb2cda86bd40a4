// Detection projection: placeholder evidence on entities: junk-named patients, invalid ID
// cards and virtual-operator phones (node ids).
CALL { MATCH (p:Patient) WHERE p.junk_name = true RETURN collect(id(p)) AS junk_name }
CALL { MATCH (c:IDCard) WHERE c.valid = false RETURN collect(id(c)) AS invalid_id }
CALL { MATCH (x:Phone) WHERE x.virtual = true RETURN collect(id(x)) AS virtual_phone }
RETURN junk_name, invalid_id, virtual_phone
