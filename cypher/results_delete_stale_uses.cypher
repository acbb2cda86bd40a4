// Deletes up to $limit USES relationships of actors of runs other than $keep (all runs
// when $keep is null).
MATCH (a:Actor)
WHERE $keep IS NULL OR a.run_id <> $keep
MATCH (a)-[u:USES]->()
WITH u LIMIT $limit
DELETE u
RETURN count(*) AS deleted
