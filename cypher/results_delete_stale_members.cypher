// Deletes up to $limit MEMBER_OF relationships of networks of runs other than $keep (all
// runs when $keep is null): the previous run's results, or a run whose writing failed.
MATCH (n:Network)
WHERE $keep IS NULL OR n.run_id <> $keep
MATCH (n)<-[m:MEMBER_OF]-()
WITH m LIMIT $limit
DELETE m
RETURN count(*) AS deleted
