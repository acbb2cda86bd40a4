// Links a batch of entities to their networks with role, score, signals and evidence
// (the properties given in the CREATE: one write per relationship, not one per property).
UNWIND $rows AS row
MATCH (n:Network {id: row.network, run_id: $run_id})
MATCH (e:Entity {uid: row.uid})
CREATE (e)-[m:MEMBER_OF {role: row.role, score: row.score, signals: row.signals,
                         evidence: row.evidence, run_id: $run_id}]->(n)
RETURN count(m) AS created
