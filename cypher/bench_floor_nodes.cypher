// bench/bench_write_floor.py: a booking node with its 22 properties, nothing else.
UNWIND $rows AS row
CREATE (r:Registration {key: row.key})
SET r.registration_id = row.registration_id, r.hospital = row.hospital,
    r.department = row.department, r.doctor = row.doctor,
    r.slot_time = datetime(row.slot_time), r.released_at = datetime(row.released_at),
    r.booked_at = datetime(row.booked_at), r.paid_at = datetime(row.paid_at),
    r.cancelled_at = datetime(row.cancelled_at), r.last_event = datetime(row.last_event),
    r.latency_ms = row.latency_ms, r.status = row.status, r.fee_yuan = row.fee_yuan,
    r.visit_card = row.visit_card, r.payer_channel = row.payer_channel, r.ip_raw = row.ip_raw,
    r.extra = row.extra, r.flags = row.flags, r.content_hash = row.content_hash,
    r.source_file = row.source_file, r.source_line = row.source_line,
    r.ingest_run = row.ingest_run
