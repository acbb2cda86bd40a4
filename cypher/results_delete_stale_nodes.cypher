// Deletes up to $limit actors, then networks, of runs other than $keep (all runs when $keep
// is null), once their member and identifier relationships are gone.
CALL () {
  MATCH (a:Actor)
  WHERE $keep IS NULL OR a.run_id <> $keep
  WITH a LIMIT $limit
  DETACH DELETE a
  RETURN count(*) AS actors
}
CALL (actors) {
  MATCH (n:Network)
  WHERE ($keep IS NULL OR n.run_id <> $keep) AND actors < $limit
  WITH n LIMIT $limit
  DETACH DELETE n
  RETURN count(*) AS networks
}
RETURN actors + networks AS deleted
