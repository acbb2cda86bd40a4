// Current networks ranked by risk, with optional filters, one page of them and the total.
// Only summary properties leave the database: a network's `links` text can be megabytes.
MATCH (run:AnalysisRun {current: true})-[:FOUND]->(n:Network)
WHERE n.risk >= $min_risk
  AND ($hospital IS NULL OR $hospital IN n.hospitals)
  AND ($since IS NULL OR n.last_seen >= $since)
  AND ($until IS NULL OR n.first_seen <= $until)
WITH run, n ORDER BY n.risk DESC, n.id
// the run's id beside its networks: with no current run there is still one row
WITH collect(n) AS ranked, head(collect(run.id)) AS run_id
RETURN size(ranked) AS total,
       [n IN ranked[$offset..($offset + $limit)] |
        n {.id, run_id: run_id, .risk, .size, .signals, .hospitals, .first_seen, .last_seen,
        .status, .closed_at}] AS networks
