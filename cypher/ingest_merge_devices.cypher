// Ensures each Device of a batch exists (keyed by its contract key, also an :Entity).
UNWIND $rows AS row
MERGE (n:Device {key: row.key})
ON CREATE SET n:Entity, n.uid = 'device:' + row.key
