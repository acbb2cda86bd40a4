// Deletes up to $limit USES relationships of the actors of networks that the run $keep did
// not find (every network when $keep is null).
MATCH (n:Network)
WHERE $keep IS NULL OR NOT EXISTS { (:AnalysisRun {id: $keep})-[:FOUND]->(n) }
MATCH (n)-[:HAS_ACTOR]->(:Actor)-[u:USES]->()
WITH u LIMIT $limit
DELETE u
RETURN count(*) AS deleted
