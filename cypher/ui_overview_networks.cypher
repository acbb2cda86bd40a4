// The overview page: current networks matching the filters, sorted by $sort ('risk',
// 'size', 'first_seen', 'last_seen' or 'id'; $descending), one page of them, the total that
// match, and every hospital of the current networks (for the hospital filter).
OPTIONAL MATCH (run:AnalysisRun {current: true})-[:FOUND]->(n:Network)
WITH collect(n) AS all, head(collect(run.id)) AS run_id
CALL (all) {
  UNWIND all AS n
  UNWIND n.hospitals AS hospital
  WITH DISTINCT hospital ORDER BY hospital
  RETURN collect(hospital) AS hospitals
}
CALL (all) {
  UNWIND all AS n
  WITH n WHERE n.risk >= $min_risk
    AND ($hospital IS NULL OR $hospital IN n.hospitals)
    AND ($since IS NULL OR n.last_seen >= $since)
    AND ($until IS NULL OR n.first_seen <= $until)
  WITH n, CASE $sort WHEN 'size' THEN n.size WHEN 'first_seen' THEN n.first_seen
                     WHEN 'last_seen' THEN n.last_seen WHEN 'id' THEN n.id
                     ELSE n.risk END AS key
  ORDER BY CASE WHEN $descending THEN key END DESC, CASE WHEN NOT $descending THEN key END,
           n.risk DESC, n.id
  RETURN collect(n) AS ranked
}
RETURN hospitals, size(ranked) AS total,
       [n IN ranked[0..$limit] |
        n {.id, run_id: run_id, .risk, .size, .signals, .hospitals, .first_seen, .last_seen}] AS networks
