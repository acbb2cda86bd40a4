// Marks a run whose process died abandoned; what it wrote is counted from the graph.
MATCH (r:IngestRun {id: $id})
WHERE r.status = 'running'
SET r.status = 'abandoned', r.ended_at = $now, r.error = $error, r.lease_until = null,
    r.read = null, r.already_present = null, r.quarantined = null,
    r.ingested = COUNT { MATCH (g:Registration) WHERE g.ingest_run = r.id }
RETURN r.id AS id, r.ingested AS ingested
