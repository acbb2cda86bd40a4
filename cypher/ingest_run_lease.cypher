// Renews a running ingestion run's lease (its process still works).
MATCH (r:IngestRun {id: $id})
WHERE r.status = 'running'
SET r.lease_until = $lease_until
RETURN r.id AS id
