// How many ingestion runs are recorded.
MATCH (r:IngestRun)
RETURN count(r) AS total
