// Closes an ingestion run with its counts and status.
MATCH (r:IngestRun {id: $id})
SET r += $props
RETURN r.id AS id
