// Passes recorded in the local log while Neo4j was down: stored once, never overwritten.
UNWIND $passes AS row
MERGE (p:NightlyPass {id: row.id})
ON CREATE SET p += row
RETURN count(p) AS passes
