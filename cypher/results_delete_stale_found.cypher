// Deletes up to $limit links from runs other than $keep (every run when $keep is null) to
// the networks they found: a network carried over stays only with the run that keeps it, so
// an earlier run, kept as history, holds no results, as when its networks were deleted.
MATCH (r:AnalysisRun)-[f:FOUND]->()
WHERE $keep IS NULL OR r.id <> $keep
WITH f LIMIT $limit
DELETE f
RETURN count(*) AS deleted
