// Ensures each EscortAgent of a batch exists, with its name.
// A name is recorded the first time one is known; an agent already complete is only read.
UNWIND $rows AS row
MERGE (n:EscortAgent {key: row.key})
ON CREATE SET n:Entity, n.uid = 'escort_agent:' + row.key, n.name = row.name
FOREACH (_ IN CASE WHEN n.name IS NULL AND row.name IS NOT NULL THEN [1] ELSE [] END |
  SET n.name = row.name)
