// Current networks ranked by risk, with optional filters; members are not included.
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network)
WHERE n.risk >= $min_risk
  AND ($hospital IS NULL OR $hospital IN n.hospitals)
  AND ($since IS NULL OR n.last_seen >= $since)
  AND ($until IS NULL OR n.first_seen <= $until)
WITH n ORDER BY n.risk DESC, n.id
WITH collect(n) AS ranked
RETURN size(ranked) AS total,
       [n IN ranked[$offset..($offset + $limit)] | n {.*}] AS networks
