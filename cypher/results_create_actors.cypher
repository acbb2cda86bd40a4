// Creates a batch of actors (the people behind a network's identifiers) with the
// identifiers each uses; $rows: {network, id, role, score, evidence, parent, link,
// identifiers: [{uid, shared, operated_by_tool}]}.
UNWIND $rows AS row
MATCH (n:Network {id: row.network, run_id: $run_id})
CREATE (n)-[:HAS_ACTOR]->(a:Actor {id: row.id, run_id: $run_id, network_id: row.network,
                                   role: row.role, score: row.score, evidence: row.evidence,
                                   parent: row.parent, link: row.link})
WITH a, row
UNWIND row.identifiers AS ident
MATCH (e:Entity {uid: ident.uid})
CREATE (a)-[u:USES {shared: ident.shared, operated_by_tool: ident.operated_by_tool}]->(e)
RETURN count(u) AS created
