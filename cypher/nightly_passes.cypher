// Recent nightly passes, newest first.
MATCH (p:NightlyPass)
RETURN p {.*} AS pass
ORDER BY p.started_at DESC
SKIP $offset LIMIT $limit
