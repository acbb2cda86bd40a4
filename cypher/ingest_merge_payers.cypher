// Ensures each Payer of a batch exists; a channel is recorded the first time one is known.
// A payer already complete is only read: hub payers are not write-locked by every batch.
UNWIND $rows AS row
MERGE (n:Payer {key: row.key})
ON CREATE SET n:Entity, n.uid = 'payer:' + row.key, n.channel = row.channel
FOREACH (_ IN CASE WHEN n.channel IS NULL AND row.channel IS NOT NULL THEN [1] ELSE [] END |
  SET n.channel = row.channel)
