// Which registrations of a batch are already stored, with their content hash, last event,
// and the run and batch that wrote them (a retried batch finds its own rows by these).
UNWIND $keys AS key
MATCH (r:Registration {key: key})
RETURN r.key AS key, r.content_hash AS content_hash, r.last_event AS last_event,
       r.ingest_run AS ingest_run, r.ingest_batch AS ingest_batch
