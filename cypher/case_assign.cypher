// Gives a case to $assignee (null: to nobody), with an event saying who, when and why.
MATCH (c:Case {network_id: $network_id})
SET c._lock = true
WITH c, c.assignee AS before, c.seq + 1 AS seq
SET c.assignee = $assignee, c.updated_at = $at, c.seq = seq
CREATE (c)-[:HAS_EVENT]->(:CaseEvent {network_id: $network_id, seq: seq, type: 'assigned',
                                      at: $at, by_key_id: $by.key_id, by_name: $by.name,
                                      by_role: $by.role, from: before, to: $assignee,
                                      note: $note, request_id: $request_id})
REMOVE c._lock
RETURN seq
