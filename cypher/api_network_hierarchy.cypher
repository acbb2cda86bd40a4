// What a network's actor tree and member pages are built from (once per analysis run): every
// member with its role, in page order (tier, technician first; score; uid), and every actor
// as detection stored it, in tier order (technician first; score, highest first; id), with
// the number of identifiers it uses.
MATCH (run:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id})
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(e:Entity)
  WITH e, m
  ORDER BY CASE m.role WHEN 'technician' THEN 0 WHEN 'first_level' THEN 1
                       WHEN 'second_level' THEN 2 WHEN 'patient' THEN 3 ELSE 4 END,
           m.score DESC, e.uid
  RETURN collect([e.uid, m.role]) AS members
}
CALL (n) {
  OPTIONAL MATCH (n)-[:HAS_ACTOR]->(a:Actor)
  WITH a
  ORDER BY CASE a.role WHEN 'technician' THEN 0 WHEN 'first_level' THEN 1
                       WHEN 'second_level' THEN 2 ELSE 3 END,
           a.score DESC, a.id
  RETURN collect(CASE WHEN a IS NOT NULL THEN
    [a.id, a.role, a.score, a.parent, a.link, a.evidence, COUNT { (a)-[:USES]->() }] END)
    AS actors
}
RETURN run.id AS run_id, members, actors
