// Deletes up to $limit MEMBER_OF relationships of networks that the run $keep did not find
// (every network when $keep is null): the old versions of networks a new run changed, those
// it no longer found, or a run whose writing failed.
MATCH (n:Network)
WHERE $keep IS NULL OR NOT EXISTS { (:AnalysisRun {id: $keep})-[:FOUND]->(n) }
MATCH (n)<-[m:MEMBER_OF]-()
WITH m LIMIT $limit
DELETE m
RETURN count(*) AS deleted
