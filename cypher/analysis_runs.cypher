// Recent analysis runs, newest first.
MATCH (r:AnalysisRun)
RETURN r {.*} AS run
ORDER BY r.started_at DESC
SKIP $offset LIMIT $limit
