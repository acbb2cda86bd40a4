// Creates a batch of networks found by the run $run_id, each with the hash of its content
// (properties, members, actors) by which a later run that finds it unchanged carries it over.
MATCH (r:AnalysisRun {id: $run_id})
UNWIND $rows AS row
CREATE (r)-[:FOUND]->(n:Network {id: row.id, run_id: $run_id})
SET n.risk = row.risk, n.size = row.size, n.signals = row.signals,
    n.links = row.links, n.hospitals = row.hospitals, n.first_seen = row.first_seen,
    n.last_seen = row.last_seen, n.status = row.status, n.closed_at = row.closed_at,
    n.content_hash = row.content_hash
RETURN count(n) AS created
