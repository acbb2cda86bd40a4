// Creates a batch of registrations (new, or changed ones just removed) and links each to its
// entities. CREATE, not MERGE: a booking stored meanwhile by a concurrent batch fails the
// uniqueness constraint and the batch is retried, instead of being linked twice.
// Every read comes before the first write and properties are set by name, so the planner
// needs no Eager barrier between rows.
UNWIND $rows AS row
MATCH (p:Patient {key: row.patient})
OPTIONAL MATCH (phone:Phone {key: row.phone})
OPTIONAL MATCH (ip:IP {key: row.ip})
OPTIONAL MATCH (device:Device {key: row.device})
OPTIONAL MATCH (account:Account {key: row.account})
OPTIONAL MATCH (payer:Payer {key: row.payer})
OPTIONAL MATCH (agent:EscortAgent {key: row.agent})
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
    r.ingest_run = row.ingest_run, r.ingest_batch = row.ingest_batch
CREATE (r)-[:FOR]->(p)
FOREACH (x IN CASE WHEN phone IS NULL THEN [] ELSE [phone] END | CREATE (r)-[:CONTACT]->(x))
FOREACH (x IN CASE WHEN ip IS NULL THEN [] ELSE [ip] END | CREATE (r)-[:FROM_IP]->(x))
FOREACH (x IN CASE WHEN device IS NULL THEN [] ELSE [device] END | CREATE (r)-[:ON_DEVICE]->(x))
FOREACH (x IN CASE WHEN account IS NULL THEN [] ELSE [account] END | CREATE (r)-[:BY_ACCOUNT]->(x))
FOREACH (x IN CASE WHEN payer IS NULL THEN [] ELSE [payer] END | CREATE (r)-[:PAID_BY]->(x))
FOREACH (x IN CASE WHEN agent IS NULL THEN [] ELSE [agent] END | CREATE (r)-[:VIA_AGENT]->(x))
RETURN count(r) AS written
