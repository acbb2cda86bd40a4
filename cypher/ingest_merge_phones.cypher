// Ensures each Phone of a batch exists (keyed by its contract key, also an :Entity).
UNWIND $rows AS row
MERGE (n:Phone {key: row.key})
ON CREATE SET n:Entity, n.uid = 'phone:' + row.key, n.kind = row.kind, n.virtual = row.virtual
