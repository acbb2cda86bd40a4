// Cases, most recently changed first, optionally of one status or assignee, one page of
// them and the total, each with its network's figures in the current run (if still there).
MATCH (c:Case)
WHERE ($status IS NULL OR c.status = $status)
  AND ($assignee IS NULL OR c.assignee = $assignee)
WITH c ORDER BY c.updated_at DESC, c.network_id
WITH collect(c) AS cases
WITH cases, cases[$offset..($offset + $limit)] AS page
UNWIND (CASE WHEN size(page) = 0 THEN [null] ELSE page END) AS c
OPTIONAL MATCH (run:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: c.network_id})
RETURN size(cases) AS total,
       collect(CASE WHEN c IS NULL THEN null ELSE {
         case: c {.network_id, .status, .assignee, .created_at, .updated_at, .confirmed_at,
                  .confirmed_run_id},
         network: CASE WHEN n IS NULL THEN null
                       ELSE n {.id, run_id: run.id, .risk, .size} END} END) AS cases
