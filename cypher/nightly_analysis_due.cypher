// Is the served analysis older than the last ingestion that wrote rows?
// (analysed_at is null when nothing was ever analysed; ingested_at when nothing was written.)
OPTIONAL MATCH (a:AnalysisRun {current: true})
WITH max(a.started_at) AS analysed_at
OPTIONAL MATCH (r:IngestRun)
WHERE r.ingested > 0
RETURN analysed_at, max(coalesce(r.ended_at, r.started_at)) AS ingested_at
