// A small world in the graph model for the API tests (tests/api/conftest.py loads it).
// One gang at hospitals H1 and H2: a bot IP, device and account book at release time,
// payer alipay-8812 pays, escort agent A9 brokers; three patients (one with an invalid ID
// number and a junk name, two sharing a virtual phone). One honest family behind the
// hospital Wi-Fi 10.0.0.1, which patient P1 also used once (so paths cross the two).
CREATE (:IP:Entity {uid: 'ip:203.0.113.7', key: '203.0.113.7', version: 4, private: false})
CREATE (:IP:Entity {uid: 'ip:10.0.0.1', key: '10.0.0.1', version: 4, private: true})
CREATE (:Device:Entity {uid: 'device:dev-bot-1', key: 'dev-bot-1'})
CREATE (:Account:Entity {uid: 'account:acct-bot-1', key: 'acct-bot-1'})
CREATE (:Account:Entity {uid: 'account:acct-honest', key: 'acct-honest'})
CREATE (:Payer:Entity {uid: 'payer:alipay-8812', key: 'alipay-8812', channel: 'alipay'})
CREATE (:Payer:Entity {uid: 'payer:wechat-honest', key: 'wechat-honest', channel: 'wechat'})
CREATE (a:EscortAgent:Entity {uid: 'escort_agent:A9', key: 'A9', name: '王五'})
CREATE (ap:Phone:Entity {uid: 'phone:13700001111', key: '13700001111', kind: 'mobile',
                         virtual: false})
CREATE (a)-[:HAS_PHONE]->(ap)
CREATE (:Phone:Entity {uid: 'phone:17012345678', key: '17012345678', kind: 'mobile',
                       virtual: true})
CREATE (:Phone:Entity {uid: 'phone:13900002222', key: '13900002222', kind: 'mobile',
                       virtual: false})
CREATE (:Phone:Entity {uid: 'phone:13812345678', key: '13812345678', kind: 'mobile',
                       virtual: false})
CREATE (c1:IDCard:Entity {uid: 'id_card:11010519491231002X', key: '11010519491231002X',
                          valid: true, birth_date: date('1949-12-31'), sex: 'F',
                          region: '110105'})
CREATE (c2:IDCard:Entity {uid: 'id_card:510107199013011234', key: '510107199013011234',
                          valid: false, invalid_reason: 'bad_birth_date', region: '510107'})
CREATE (c3:IDCard:Entity {uid: 'id_card:510107199001011234', key: '510107199001011234',
                          valid: false, invalid_reason: 'bad_check_digit',
                          birth_date: date('1990-01-01'), sex: 'M', region: '510107'})
CREATE (c4:IDCard:Entity {uid: 'id_card:440301198506060018', key: '440301198506060018',
                          valid: true, birth_date: date('1985-06-06'), sex: 'M',
                          region: '440301'})
CREATE (p1:Patient:Entity {uid: 'patient:11010519491231002X|张三',
                           key: '11010519491231002X|张三', name: '张三', junk_name: false})
CREATE (p2:Patient:Entity {uid: 'patient:510107199013011234|561',
                           key: '510107199013011234|561', name: '561', junk_name: true,
                           junk_reason: 'digits_only'})
CREATE (p3:Patient:Entity {uid: 'patient:510107199001011234|李四',
                           key: '510107199001011234|李四', name: '李四', junk_name: false})
CREATE (p4:Patient:Entity {uid: 'patient:440301198506060018|赵六',
                           key: '440301198506060018|赵六', name: '赵六', junk_name: false})
CREATE (p1)-[:HAS_ID]->(c1), (p2)-[:HAS_ID]->(c2), (p3)-[:HAS_ID]->(c3), (p4)-[:HAS_ID]->(c4);

// Gang bookings: R1..R6, 20-60 ms after the 18:00 release.
UNWIND [
  {id: 'R1', h: 'H1', p: '11010519491231002X|张三', ph: '17012345678', ms: 21, st: 'attended'},
  {id: 'R2', h: 'H1', p: '510107199013011234|561', ph: '17012345678', ms: 25, st: 'cancelled'},
  {id: 'R3', h: 'H1', p: '510107199001011234|李四', ph: '13900002222', ms: 33, st: 'booked'},
  {id: 'R4', h: 'H2', p: '11010519491231002X|张三', ph: '17012345678', ms: 41, st: 'attended'},
  {id: 'R5', h: 'H2', p: '510107199013011234|561', ph: '17012345678', ms: 52, st: 'no_show'},
  {id: 'R6', h: 'H2', p: '510107199001011234|李四', ph: '13900002222', ms: 60, st: 'booked'}
] AS row
WITH row, datetime('2026-03-02T18:00:00+08:00') AS released
MATCH (patient:Patient {key: row.p}), (phone:Phone {key: row.ph}),
      (ip:IP {key: '203.0.113.7'}), (device:Device {key: 'dev-bot-1'}),
      (account:Account {key: 'acct-bot-1'}), (payer:Payer {key: 'alipay-8812'}),
      (agent:EscortAgent {key: 'A9'})
CREATE (r:Registration {key: row.h + '|' + row.id, registration_id: row.id, hospital: row.h,
                        department: '产科', doctor: 'D1', status: row.st,
                        released_at: released,
                        booked_at: released + duration({milliseconds: row.ms}),
                        slot_time: datetime('2026-03-09T09:00:00+08:00'),
                        latency_ms: row.ms, fee_yuan: '300.00', visit_card: 'VC' + row.id + '9876',
                        payer_channel: 'alipay',
                        extra: '{"备注": "call 13912345678 first"}',
                        source_file: 'export-h.csv', source_line: 2})
CREATE (r)-[:FOR]->(patient), (r)-[:CONTACT]->(phone), (r)-[:FROM_IP]->(ip),
       (r)-[:ON_DEVICE]->(device), (r)-[:BY_ACCOUNT]->(account), (r)-[:PAID_BY]->(payer),
       (r)-[:VIA_AGENT]->(agent);

// Honest bookings behind the hospital Wi-Fi, a minute and a half after release; P1 once too.
UNWIND [
  {id: 'R7', p: '440301198506060018|赵六', ph: '13812345678', ms: 90000, day: '2026-03-02'},
  {id: 'R8', p: '440301198506060018|赵六', ph: '13812345678', ms: 95000, day: '2026-03-03'},
  {id: 'R9', p: '11010519491231002X|张三', ph: '13812345678', ms: 120000, day: '2026-03-04'}
] AS row
WITH row, datetime(row.day + 'T18:00:00+08:00') AS released
MATCH (patient:Patient {key: row.p}), (phone:Phone {key: row.ph}), (ip:IP {key: '10.0.0.1'}),
      (account:Account {key: 'acct-honest'}), (payer:Payer {key: 'wechat-honest'})
CREATE (r:Registration {key: 'H1|' + row.id, registration_id: row.id, hospital: 'H1',
                        department: '内科', doctor: 'D2', status: 'attended',
                        released_at: released,
                        booked_at: released + duration({milliseconds: row.ms}),
                        latency_ms: row.ms, fee_yuan: '50.00', source_file: 'export-h.csv',
                        source_line: 3})
CREATE (r)-[:FOR]->(patient), (r)-[:CONTACT]->(phone), (r)-[:FROM_IP]->(ip),
       (r)-[:BY_ACCOUNT]->(account), (r)-[:PAID_BY]->(payer);

// Bookkeeping: one ingestion run.
CREATE (:IngestRun {id: 'ingest-1', started_at: datetime('2026-03-05T02:00:00+08:00'),
                    ended_at: datetime('2026-03-05T02:01:00+08:00'), status: 'complete',
                    read: 9, ingested: 9, already_present: 0, quarantined: 0,
                    files: '[{"path": "export-h.csv", "rows": 9}]'})
