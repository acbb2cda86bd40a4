// Ensures each Patient of a batch exists and holds its IDCard.
UNWIND $rows AS row
MERGE (n:Patient {key: row.key})
ON CREATE SET n:Entity, n.uid = 'patient:' + row.key, n.name = row.name,
              n.junk_name = row.junk_name, n.junk_reason = row.junk_reason
WITH n, row
MATCH (c:IDCard {key: row.id_card})
MERGE (n)-[:HAS_ID]->(c)
