// Passes on this drop folder still 'running' while this pass holds the lock: their process
// died. What their ingest runs wrote is counted from the graph; what they had moved stays moved.
// A pass with an ingest run still 'running' (the server still held its process) waits for a
// later pass, so that nothing it wrote is missed.
MATCH (p:NightlyPass {status: 'running', drop_dir: $drop_dir})
WHERE p.id <> $id AND NOT EXISTS { MATCH (:IngestRun {pass_id: p.id, status: 'running'}) }
OPTIONAL MATCH (r:IngestRun {pass_id: p.id})
WITH p, collect(r.id) AS ingest_runs
WITH p, COUNT { MATCH (g:Registration) WHERE g.ingest_run IN ingest_runs } AS written
SET p.status = 'abandoned', p.ended_at = $now, p.ingested = written, p.read = null,
    p.already_present = null, p.quarantined = null,
    p.error = 'the process ended before the pass finished; its ingest runs wrote ' +
              toString(written) + ' registrations; files it had not moved stay in the drop folder'
RETURN count(p) AS abandoned
