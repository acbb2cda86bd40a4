// Kept analysis window: the own phones of the escort agents named by node id, as two id
// columns.
UNWIND $ids AS i
MATCH (a:EscortAgent)-[:HAS_PHONE]->(p:Phone)
WHERE id(a) = i
RETURN collect(id(a)) AS escort_agent, collect(id(p)) AS phone
