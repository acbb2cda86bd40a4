// Recent ingestion runs, newest first.
MATCH (r:IngestRun)
RETURN r {.*} AS run
ORDER BY r.started_at DESC
SKIP $offset LIMIT $limit
