// One actor of the current analysis run (never one of a run being written or superseded):
// its stored role, score, evidence and link to its parent, its network, its parent actor,
// how many actors of each role hang under it, and one page of the identifiers it uses
// (ordered by uid), each with its role and score in the network.
// (the actor by its id through the (id, run_id) index: a network carried over keeps the
// actors an earlier run wrote)
MATCH (run:AnalysisRun {current: true})
MATCH (a:Actor)
WHERE a.id = $id AND a.run_id IS NOT NULL
MATCH (run)-[:FOUND]->(n:Network)-[:HAS_ACTOR]->(a)
OPTIONAL MATCH (n)-[:HAS_ACTOR]->(parent:Actor {id: a.parent})
CALL (n, a) {
  OPTIONAL MATCH (n)-[:HAS_ACTOR]->(child:Actor)
  WHERE child.parent = a.id
  WITH child.role AS role, count(child) AS actors
  WHERE role IS NOT NULL
  RETURN collect({role: role, count: actors}) AS children
}
CALL (n, a) {
  OPTIONAL MATCH (a)-[u:USES]->(e:Entity)
  OPTIONAL MATCH (e)-[m:MEMBER_OF]->(n)
  WITH u, e, m ORDER BY e.uid SKIP $offset LIMIT $limit
  RETURN collect(CASE WHEN e IS NOT NULL THEN
    {uid: e.uid, shared: u.shared, operated_by_tool: u.operated_by_tool, role: m.role,
     score: m.score} END) AS identifiers
}
RETURN a {.id, .role, .score, .evidence, .parent, .link} AS actor, run.id AS run_id,
       n {.id, .risk, .size} AS network,
       CASE WHEN parent IS NULL THEN NULL
            ELSE parent {.id, .role, .score} END AS parent,
       children, COUNT { (a)-[:USES]->() } AS identifiers_total, identifiers
