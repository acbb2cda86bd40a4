// Creates a batch of actors (the people behind a network's identifiers) with the
// identifiers each uses; $rows: {network, id, role, score, evidence, parent, link,
// identifiers: [{uid, shared, operated_by_tool}]}.
UNWIND $rows AS row
MATCH (n:Network {id: row.network, run_id: $run_id})
CREATE (n)-[:HAS_ACTOR]->(a:Actor {id: row.id, run_id: $run_id})
SET a.network_id = row.network, a.role = row.role, a.score = row.score,
    a.evidence = row.evidence, a.parent = row.parent, a.link = row.link
WITH a, row
UNWIND row.identifiers AS ident
MATCH (e:Entity {uid: ident.uid})
CREATE (a)-[u:USES]->(e)
SET u.shared = ident.shared, u.operated_by_tool = ident.operated_by_tool
RETURN count(u) AS created
