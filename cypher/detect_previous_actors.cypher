// Detection: the current networks' scalper actors with their identifiers' uids (to keep
// actor ids stable across runs; a patient's id follows its ID card and needs no lookup).
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network)-[:HAS_ACTOR]->(a:Actor)
WHERE a.role <> 'patient'
OPTIONAL MATCH (a)-[:USES]->(e:Entity)
WITH n, a, e ORDER BY e.uid
RETURN n.id AS network, a.id AS id, a.role AS role, collect(e.uid) AS identifiers
ORDER BY network, id
