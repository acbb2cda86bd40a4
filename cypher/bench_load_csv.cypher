// Baseline for bench/bench_ingest.py: Neo4j's own LOAD CSV loading a simulated export into
// the same model as `scalpernet ingest`: the same nodes, labels, keys and relationships, and
// every registration property derivable from the file without validation (times, latency,
// last event, status, fee, provenance). What it cannot do: check or flag ID numbers, phones,
// IPs or names, normalise keys beyond trimming, hash content, quarantine. Batches of $batch.
LOAD CSV WITH HEADERS FROM $url AS row
WITH row, linenumber() AS line
CALL (row, line) {
  WITH row, line, toUpper(trim(row.id_number)) AS id, trim(row.patient_name) AS name,
       datetime(replace(row.booked_at, ' ', 'T')) AS booked,
       CASE WHEN row.released_at IS NULL THEN null
            ELSE datetime(replace(row.released_at, ' ', 'T')) END AS released,
       CASE WHEN row.paid_at IS NULL THEN null
            ELSE datetime(replace(row.paid_at, ' ', 'T')) END AS paid,
       CASE WHEN row.cancelled_at IS NULL THEN null
            ELSE datetime(replace(row.cancelled_at, ' ', 'T')) END AS cancelled
  MERGE (c:IDCard {key: id})
    ON CREATE SET c:Entity, c.uid = 'id_card:' + id
  MERGE (p:Patient {key: id + '|' + name})
    ON CREATE SET p:Entity, p.uid = 'patient:' + id + '|' + name, p.name = name
  MERGE (p)-[:HAS_ID]->(c)
  CREATE (r:Registration {key: row.hospital + '|' + row.registration_id})
  SET r.registration_id = row.registration_id, r.hospital = row.hospital,
      r.department = row.department, r.doctor = row.doctor, r.status = row.status,
      r.slot_time = datetime(replace(row.slot_time, ' ', 'T')), r.released_at = released,
      r.booked_at = booked, r.paid_at = paid, r.cancelled_at = cancelled,
      r.last_event = reduce(m = booked, t IN [paid, cancelled] |
                            CASE WHEN t IS NOT NULL AND t > m THEN t ELSE m END),
      r.latency_ms = CASE WHEN released IS NULL THEN null
                          ELSE duration.inSeconds(released, booked).milliseconds END,
      r.fee_yuan = row.fee_yuan, r.visit_card = row.visit_card,
      r.payer_channel = row.payer_channel, r.ip_raw = row.ip,
      r.source_file = $file, r.source_line = line, r.ingest_run = $run
  CREATE (r)-[:FOR]->(p)
  FOREACH (k IN CASE WHEN row.phone IS NULL THEN [] ELSE [trim(row.phone)] END |
    MERGE (x:Phone {key: k}) ON CREATE SET x:Entity, x.uid = 'phone:' + k
    CREATE (r)-[:CONTACT]->(x))
  FOREACH (k IN CASE WHEN row.ip IS NULL THEN [] ELSE [trim(row.ip)] END |
    MERGE (x:IP {key: k}) ON CREATE SET x:Entity, x.uid = 'ip:' + k
    CREATE (r)-[:FROM_IP]->(x))
  FOREACH (k IN CASE WHEN row.device_id IS NULL THEN [] ELSE [trim(row.device_id)] END |
    MERGE (x:Device {key: k}) ON CREATE SET x:Entity, x.uid = 'device:' + k
    CREATE (r)-[:ON_DEVICE]->(x))
  FOREACH (k IN CASE WHEN row.account_id IS NULL THEN [] ELSE [trim(row.account_id)] END |
    MERGE (x:Account {key: k}) ON CREATE SET x:Entity, x.uid = 'account:' + k
    CREATE (r)-[:BY_ACCOUNT]->(x))
  FOREACH (k IN CASE WHEN row.payer_account IS NULL THEN [] ELSE [trim(row.payer_account)] END |
    MERGE (x:Payer {key: k}) ON CREATE SET x:Entity, x.uid = 'payer:' + k,
                                           x.channel = row.payer_channel
    CREATE (r)-[:PAID_BY]->(x))
  FOREACH (k IN CASE WHEN row.escort_agent_id IS NULL THEN [] ELSE [trim(row.escort_agent_id)] END |
    MERGE (x:EscortAgent {key: k}) ON CREATE SET x:Entity, x.uid = 'escort_agent:' + k,
                                                 x.name = row.escort_agent_name
    CREATE (r)-[:VIA_AGENT]->(x)
    FOREACH (ph IN CASE WHEN row.escort_agent_phone IS NULL THEN []
                        ELSE [trim(row.escort_agent_phone)] END |
      MERGE (y:Phone {key: ph}) ON CREATE SET y:Entity, y.uid = 'phone:' + ph
      MERGE (x)-[:HAS_PHONE]->(y)))
} IN TRANSACTIONS OF $batch ROWS
