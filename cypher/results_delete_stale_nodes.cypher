// Deletes up to $limit actors, then networks, of networks that the run $keep did not find
// (every network when $keep is null), once their member and identifier relationships are
// gone.
CALL () {
  MATCH (n:Network)
  WHERE $keep IS NULL OR NOT EXISTS { (:AnalysisRun {id: $keep})-[:FOUND]->(n) }
  MATCH (n)-[:HAS_ACTOR]->(a:Actor)
  WITH a LIMIT $limit
  DETACH DELETE a
  RETURN count(*) AS actors
}
CALL (actors) {
  MATCH (n:Network)
  WHERE ($keep IS NULL OR NOT EXISTS { (:AnalysisRun {id: $keep})-[:FOUND]->(n) })
    AND actors < $limit
  WITH n LIMIT $limit
  DETACH DELETE n
  RETURN count(*) AS networks
}
RETURN actors + networks AS deleted
