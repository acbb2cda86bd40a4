// Ensures each Account of a batch exists (keyed by its contract key, also an :Entity).
UNWIND $rows AS row
MERGE (n:Account {key: row.key})
ON CREATE SET n:Entity, n.uid = 'account:' + row.key
