// Records a file's progress in a run (status 'partial' while running, 'complete' at the end).
MERGE (f:IngestedFile {checksum: $checksum})
SET f.path = $path, f.size = $size, f.status = $status, f.run_id = $run_id,
    f.rows = $rows, f.updated_at = $now
WITH f
MATCH (r:IngestRun {id: $run_id})
MERGE (r)-[:READ]->(f)
RETURN f.checksum AS checksum
