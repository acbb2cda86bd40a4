// Links a batch of entities to their networks with role, score, signals and evidence.
UNWIND $rows AS row
MATCH (n:Network {id: row.network, run_id: $run_id})
MATCH (e:Entity {uid: row.uid})
CREATE (e)-[m:MEMBER_OF]->(n)
SET m.role = row.role, m.score = row.score, m.signals = row.signals,
    m.evidence = row.evidence, m.run_id = $run_id
RETURN count(m) AS created
