// Opens an ingestion run.
CREATE (r:IngestRun {id: $id})
SET r.started_at = $started_at, r.status = 'running', r.read = 0, r.ingested = 0,
    r.updated = 0, r.already_present = 0, r.quarantined = 0, r.skipped_files = 0,
    r.quarantine_file = $quarantine_file, r.files = '[]'
RETURN r.id AS id
