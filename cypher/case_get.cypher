// One case with its history (oldest first) and its network in the current run, if the
// network is still found there.
MATCH (c:Case {network_id: $network_id})
OPTIONAL MATCH (run:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: c.network_id})
CALL (c) {
  OPTIONAL MATCH (c)-[:HAS_EVENT]->(ev:CaseEvent)
  WITH ev ORDER BY ev.seq
  RETURN [x IN collect(ev {.*}) WHERE x.seq IS NOT NULL] AS events
}
RETURN c {.*} AS case, events,
       CASE WHEN n IS NULL THEN null
            ELSE n {.id, run_id: run.id, .risk, .size, .hospitals, .first_seen, .last_seen} END
         AS network
