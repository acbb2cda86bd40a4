// A random sample of entity uids (for bench/bench_api.py): each entity is kept with
// probability $p, at most $limit of them.
MATCH (e:Entity)
WHERE rand() < $p
RETURN e.uid AS uid
LIMIT $limit
