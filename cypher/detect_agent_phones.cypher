// Detection projection: every escort agent's own phone, as parallel id columns.
MATCH (a:EscortAgent)-[:HAS_PHONE]->(p:Phone)
RETURN collect(id(a)) AS escort_agent, collect(id(p)) AS phone
