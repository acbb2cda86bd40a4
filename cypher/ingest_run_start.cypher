// Opens an ingestion run, owned by one process (host, pid, its start time) under a lease.
CREATE (r:IngestRun {id: $id})
SET r.started_at = $started_at, r.status = 'running', r.read = 0, r.ingested = 0,
    r.updated = 0, r.already_present = 0, r.quarantined = 0, r.skipped_files = 0,
    r.quarantine_file = $quarantine_file, r.files = $files, r.host = $host, r.pid = $pid,
    r.pid_started = $pid_started, r.lease_until = $lease_until, r.pass_id = $parent
RETURN r.id AS id
