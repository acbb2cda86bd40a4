// Ensures each IDCard of a batch exists (keyed by its contract key, also an :Entity).
UNWIND $rows AS row
MERGE (n:IDCard {key: row.key})
ON CREATE SET n:Entity, n.uid = 'id_card:' + row.key, n.valid = row.valid, n.invalid_reason = row.invalid_reason, n.birth_date = row.birth_date, n.sex = row.sex, n.region = row.region
