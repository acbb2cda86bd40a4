// Ensures each EscortAgent of a batch exists, with its name and the phone it gave.
UNWIND $rows AS row
MERGE (n:EscortAgent {key: row.key})
ON CREATE SET n:Entity, n.uid = 'escort_agent:' + row.key
SET n.name = coalesce(n.name, row.name)
WITH n, row
WHERE row.phone IS NOT NULL
MATCH (p:Phone {key: row.phone})
MERGE (n)-[:HAS_PHONE]->(p)
