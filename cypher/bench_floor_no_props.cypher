// bench/bench_write_floor.py: a booking node with its key and links only.
UNWIND $rows AS row
CREATE (r:Registration {key: row.key})
WITH r, row
MATCH (p:Patient {key: row.patient}), (ph:Phone {key: row.phone}), (ip:IP {key: row.ip}),
      (d:Device {key: row.device}), (a:Account {key: row.account}), (pay:Payer {key: row.payer})
OPTIONAL MATCH (ag:EscortAgent {key: row.agent})
CREATE (r)-[:FOR]->(p), (r)-[:CONTACT]->(ph), (r)-[:FROM_IP]->(ip), (r)-[:ON_DEVICE]->(d),
       (r)-[:BY_ACCOUNT]->(a), (r)-[:PAID_BY]->(pay)
FOREACH (x IN CASE WHEN ag IS NULL THEN [] ELSE [ag] END | CREATE (r)-[:VIA_AGENT]->(x))
