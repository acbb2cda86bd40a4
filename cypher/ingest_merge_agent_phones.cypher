// Links each EscortAgent of a batch to every phone it gave (both merged just before).
UNWIND $rows AS row
MATCH (n:EscortAgent {key: row.agent})
MATCH (p:Phone {key: row.phone})
MERGE (n)-[:HAS_PHONE]->(p)
