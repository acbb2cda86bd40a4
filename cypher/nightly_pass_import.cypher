// Passes recorded in the local log while Neo4j was down: the log holds each one's final
// record, written by its own process, so it replaces what the graph only guessed (a pass
// still 'running', or marked 'abandoned' by a later one), and is never overwritten.
UNWIND $passes AS row
MERGE (p:NightlyPass {id: row.id})
WITH p, row
WHERE p.status IS NULL OR p.status IN ['running', 'abandoned']
SET p += row
RETURN count(p) AS passes
