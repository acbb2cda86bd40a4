// Adds a comment to a case, as an event in its history.
MATCH (c:Case {network_id: $network_id})
SET c._lock = true
WITH c, c.seq + 1 AS seq
SET c.updated_at = $at, c.seq = seq
CREATE (c)-[:HAS_EVENT]->(:CaseEvent {network_id: $network_id, seq: seq, type: 'comment',
                                      at: $at, by_key_id: $by.key_id, by_name: $by.name,
                                      by_role: $by.role, note: $note,
                                      request_id: $request_id})
REMOVE c._lock
RETURN seq
