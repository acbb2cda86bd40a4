// Ingestion runs still marked running, with their owners (host, pid, start time, lease).
MATCH (r:IngestRun)
WHERE r.status = 'running'
RETURN r {.id, .host, .pid, .pid_started, .lease_until} AS run
