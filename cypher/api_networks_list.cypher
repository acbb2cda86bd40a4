// Current networks ranked by risk, with optional filters, one page of them and the total.
// Only summary properties leave the database: a network's `links` text can be megabytes.
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network)
WHERE n.risk >= $min_risk
  AND ($hospital IS NULL OR $hospital IN n.hospitals)
  AND ($since IS NULL OR n.last_seen >= $since)
  AND ($until IS NULL OR n.first_seen <= $until)
WITH n ORDER BY n.risk DESC, n.id
WITH collect(n) AS ranked
RETURN size(ranked) AS total,
       [n IN ranked[$offset..($offset + $limit)] |
        n {.id, .run_id, .risk, .size, .signals, .hospitals, .first_seen, .last_seen,
        .status, .closed_at}] AS networks
