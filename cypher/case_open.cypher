// Opens the case of a current network (one case per stable network id), or finds the one
// already open; a case opened now starts 'new' with an 'opened' event.
MATCH (run:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $network_id})
MERGE (c:Case {network_id: $network_id})
  ON CREATE SET c.status = 'new', c.created_at = $at, c.updated_at = $at, c.seq = 1,
                c.created_by = $by.key_id, c.opened_request = $request_id,
                c.opened_run_id = run.id
WITH c, c.opened_request = $request_id AND c.seq = 1 AS created
FOREACH (_ IN CASE WHEN created THEN [1] ELSE [] END |
  CREATE (c)-[:HAS_EVENT]->(:CaseEvent {network_id: $network_id, seq: 1, type: 'opened',
                                        at: $at, by_key_id: $by.key_id, by_name: $by.name,
                                        by_role: $by.role, to: 'new', note: $note,
                                        request_id: $request_id}))
RETURN created
