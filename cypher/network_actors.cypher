// The actors of one current network, each with the identifiers it uses, highest tier first.
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id})-[:HAS_ACTOR]->(a:Actor)
OPTIONAL MATCH (a)-[u:USES]->(e:Entity)
WITH a, e, u ORDER BY e.uid
WITH a, collect({uid: e.uid, shared: u.shared, operated_by_tool: u.operated_by_tool})
        AS identifiers
RETURN a {.*} AS actor, [x IN identifiers WHERE x.uid IS NOT NULL] AS identifiers
ORDER BY CASE a.role WHEN 'technician' THEN 0 WHEN 'first_level' THEN 1
                     WHEN 'second_level' THEN 2 ELSE 3 END, a.score DESC, a.id
