// Carries over to the run $run_id, not yet current, the current run's networks that it
// found unchanged: $rows: {id, content_hash, members}, one per network of the new run; a
// current network of that id, content hash and number of members is found by the new run
// too (its members and actors stay as they are). Returns the ids carried over.
MATCH (r:AnalysisRun {id: $run_id})
UNWIND $rows AS row
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: row.id})
WHERE n.content_hash = row.content_hash AND COUNT { (n)<-[:MEMBER_OF]-() } = row.members
CREATE (r)-[:FOUND]->(n)
RETURN collect(n.id) AS carried
