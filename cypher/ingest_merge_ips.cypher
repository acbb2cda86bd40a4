// Ensures each IP of a batch exists (keyed by its contract key, also an :Entity).
UNWIND $rows AS row
MERGE (n:IP {key: row.key})
ON CREATE SET n:Entity, n.uid = 'ip:' + row.key, n.version = row.version, n.private = row.private, n.range = row.range
