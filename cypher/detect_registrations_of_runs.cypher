// Kept analysis window: the registrations the ingestion runs $runs wrote (new ones, and
// changed ones created again), whatever their booking time, with their key, times and slot
// as parallel columns (the ingest_run index finds them); $missing marks an absent time.
MATCH (r:Registration)
WHERE r.ingest_run IN $runs
RETURN collect(id(r)) AS registration, collect(r.key) AS key,
       collect(coalesce(r.latency_ms, $missing)) AS latency_ms,
       collect(coalesce(r.booked_at.epochMillis, $missing)) AS booked_ms,
       collect(coalesce(r.cancelled_at.epochMillis, $missing)) AS cancelled_ms,
       collect(coalesce(r.paid_at.epochMillis, $missing)) AS paid_ms,
       collect(coalesce(r.slot_time.epochMillis, $missing)) AS slot_ms,
       collect(coalesce(r.hospital, '')) AS hospital,
       collect(coalesce(r.doctor, '')) AS doctor
