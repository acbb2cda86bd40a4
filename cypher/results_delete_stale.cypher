// Deletes, a batch at a time, the results of runs other than the current one ($keep): the
// previous run's once a new one is current, or a run whose writing failed half-way.
// Relationships go first, in batches of $limit, then the emptied nodes.
CALL () {
  MATCH (n:Network)<-[m:MEMBER_OF]-()
  WHERE n.run_id <> $keep OR $keep IS NULL
  WITH m LIMIT $limit
  DELETE m
  RETURN count(*) AS members
}
CALL (members) {
  MATCH (a:Actor)-[u:USES]->()
  WHERE (a.run_id <> $keep OR $keep IS NULL) AND members < $limit
  WITH u LIMIT $limit
  DELETE u
  RETURN count(*) AS uses
}
CALL (members, uses) {
  MATCH (x)
  WHERE (x:Network OR x:Actor) AND (x.run_id <> $keep OR $keep IS NULL)
        AND members + uses < $limit
  WITH x LIMIT $limit
  DETACH DELETE x
  RETURN count(*) AS nodes
}
RETURN members + uses + nodes AS deleted
