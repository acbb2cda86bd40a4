// Kept analysis window: every ingestion run's id and status (a run still running may write
// more registrations; any other status is final).
MATCH (r:IngestRun)
RETURN collect(r.id) AS ids, collect(r.status) AS statuses
