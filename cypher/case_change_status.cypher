// Moves a case to $status when its status is one of $allowed_from, with an event saying
// who, when and why. The case is locked first, so two changes at once are judged one after
// the other. Confirming keeps the current members and roles (CONFIRMED_MEMBER) for the
// comparison with later runs. Returns the status found and whether it changed.
MATCH (c:Case {network_id: $network_id})
SET c._lock = true
WITH c, c.status AS before, c.status IN $allowed_from AS allowed, c.seq + 1 AS seq
FOREACH (_ IN CASE WHEN allowed THEN [1] ELSE [] END |
  SET c.status = $status, c.updated_at = $at, c.seq = seq
  CREATE (c)-[:HAS_EVENT]->(:CaseEvent {network_id: $network_id, seq: seq, type: 'status',
                                        at: $at, by_key_id: $by.key_id, by_name: $by.name,
                                        by_role: $by.role, from: before, to: $status,
                                        note: $note, request_id: $request_id}))
WITH c, before, allowed
CALL (c, allowed) {
  WITH c WHERE allowed AND $status = 'confirmed'
  OPTIONAL MATCH (c)-[old:CONFIRMED_MEMBER]->()
  DELETE old
  WITH DISTINCT c
  MATCH (r:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: c.network_id})
  SET c.confirmed_at = $at, c.confirmed_run_id = r.id, c.confirmed_size = n.size,
      c.confirmed_risk = n.risk
  WITH c, n
  MATCH (e:Entity)-[m:MEMBER_OF]->(n)
  CREATE (c)-[:CONFIRMED_MEMBER {role: m.role, score: m.score}]->(e)
}
REMOVE c._lock
RETURN before, allowed
