// Baseline for bench/bench_ingest.py: Neo4j's own LOAD CSV loading a simulated export into
// the same model, without ScalperNet's validation (keys only trimmed), in batches of $batch.
LOAD CSV WITH HEADERS FROM $url AS row
CALL (row) {
  MERGE (c:IDCard {key: toUpper(trim(row.id_number))})
    ON CREATE SET c:Entity, c.uid = 'id_card:' + toUpper(trim(row.id_number))
  MERGE (p:Patient {key: toUpper(trim(row.id_number)) + '|' + trim(row.patient_name)})
    ON CREATE SET p:Entity, p.uid = 'patient:' + toUpper(trim(row.id_number)) + '|' + trim(row.patient_name),
                  p.name = row.patient_name
  MERGE (p)-[:HAS_ID]->(c)
  CREATE (r:Registration {key: row.hospital + '|' + row.registration_id})
  SET r.registration_id = row.registration_id, r.hospital = row.hospital,
      r.department = row.department, r.doctor = row.doctor, r.status = row.status,
      r.slot_time = datetime(replace(row.slot_time, ' ', 'T')),
      r.booked_at = datetime(replace(row.booked_at, ' ', 'T')),
      r.released_at = CASE WHEN row.released_at IS NULL THEN null
                           ELSE datetime(replace(row.released_at, ' ', 'T')) END,
      r.fee_yuan = row.fee_yuan
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
    MERGE (x:Payer {key: k}) ON CREATE SET x:Entity, x.uid = 'payer:' + k
    CREATE (r)-[:PAID_BY]->(x))
  FOREACH (k IN CASE WHEN row.escort_agent_id IS NULL THEN [] ELSE [trim(row.escort_agent_id)] END |
    MERGE (x:EscortAgent {key: k}) ON CREATE SET x:Entity, x.uid = 'escort_agent:' + k
    CREATE (r)-[:VIA_AGENT]->(x))
} IN TRANSACTIONS OF $batch ROWS
