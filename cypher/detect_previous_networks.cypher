// Detection: the current networks with their member uids (to keep network ids stable).
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network)
OPTIONAL MATCH (e:Entity)-[:MEMBER_OF]->(n)
WITH n, e ORDER BY e.uid
RETURN n.id AS id, collect(e.uid) AS members
ORDER BY id
