// Ensures each Payer of a batch exists; its channel is kept from the first row that names one.
UNWIND $rows AS row
MERGE (n:Payer {key: row.key})
ON CREATE SET n:Entity, n.uid = 'payer:' + row.key
SET n.channel = coalesce(n.channel, row.channel)
