// Kept analysis window: which of the named nodes carry placeholder evidence: junk-named
// patients among $patients, invalid ID cards among $id_cards, virtual phones among $phones.
CALL { UNWIND $patients AS i MATCH (p:Patient) WHERE id(p) = i AND p.junk_name = true
       RETURN collect(i) AS junk_name }
CALL { UNWIND $id_cards AS i MATCH (c:IDCard) WHERE id(c) = i AND c.valid = false
       RETURN collect(i) AS invalid_id }
CALL { UNWIND $phones AS i MATCH (x:Phone) WHERE id(x) = i AND x.virtual = true
       RETURN collect(i) AS virtual_phone }
RETURN junk_name, invalid_id, virtual_phone
