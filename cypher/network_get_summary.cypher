// One current network's summary properties (no members, no links), if it is current.
MATCH (run:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id})
RETURN n {.id, run_id: run.id, .risk, .size, .signals, .hospitals, .first_seen, .last_seen} AS network
