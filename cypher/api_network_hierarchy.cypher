// What a network's tier tree and member pages are built from (once per analysis run): its
// stored member-to-member links and every member with its role, in page order: tier
// (technician first), score, uid.
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id})
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(e:Entity)
  WITH e, m
  ORDER BY CASE m.role WHEN 'technician' THEN 0 WHEN 'first_level' THEN 1
                       WHEN 'second_level' THEN 2 WHEN 'patient' THEN 3 ELSE 4 END,
           m.score DESC, e.uid
  RETURN collect([e.uid, m.role]) AS members
}
RETURN n.run_id AS run_id, n.links AS links, members
