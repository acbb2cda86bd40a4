// Sizes of the graph the API bench ran on.
CALL () { MATCH (r:Registration) RETURN count(r) AS registrations }
CALL () { MATCH (e:Entity) RETURN count(e) AS entities }
CALL () { MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network) RETURN count(n) AS networks }
RETURN registrations, entities, networks
