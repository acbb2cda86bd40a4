// ScalperNet schema: one uniqueness constraint per entity kind (each keyed by `key`,
// the contract key), plus the indexes ScalperNet's own queries use, and no others: every
// index on Registration is paid for by every booking ingested (docs/graph-model.md).
// Every statement is idempotent (IF [NOT] EXISTS); applied before any command writes.
CREATE CONSTRAINT registration_key IF NOT EXISTS FOR (n:Registration) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT patient_key IF NOT EXISTS FOR (n:Patient) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT idcard_key IF NOT EXISTS FOR (n:IDCard) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT phone_key IF NOT EXISTS FOR (n:Phone) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT ip_key IF NOT EXISTS FOR (n:IP) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT payer_key IF NOT EXISTS FOR (n:Payer) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT escort_agent_key IF NOT EXISTS FOR (n:EscortAgent) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT account_key IF NOT EXISTS FOR (n:Account) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT device_key IF NOT EXISTS FOR (n:Device) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT entity_uid IF NOT EXISTS FOR (n:Entity) REQUIRE n.uid IS UNIQUE;
CREATE CONSTRAINT ingest_run_id IF NOT EXISTS FOR (n:IngestRun) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT ingested_file_checksum IF NOT EXISTS FOR (n:IngestedFile) REQUIRE n.checksum IS UNIQUE;
CREATE CONSTRAINT analysis_run_id IF NOT EXISTS FOR (n:AnalysisRun) REQUIRE n.id IS UNIQUE;
// Networks and actors keep their ids across runs: a new run is written beside the current
// one (docs/graph-model.md, Results), so an id is unique within its run.
DROP CONSTRAINT network_id IF EXISTS;
DROP CONSTRAINT actor_id IF EXISTS;
CREATE CONSTRAINT network_run_id IF NOT EXISTS FOR (n:Network) REQUIRE (n.id, n.run_id) IS UNIQUE;
CREATE CONSTRAINT actor_run_id IF NOT EXISTS FOR (a:Actor) REQUIRE (a.id, a.run_id) IS UNIQUE;
CREATE CONSTRAINT api_key_id IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT page_session_id IF NOT EXISTS FOR (n:PageSession) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT nightly_pass_id IF NOT EXISTS FOR (n:NightlyPass) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT case_network_id IF NOT EXISTS FOR (c:Case) REQUIRE c.network_id IS UNIQUE;
CREATE INDEX patient_name IF NOT EXISTS FOR (n:Patient) ON (n.name);
CREATE INDEX escort_agent_name IF NOT EXISTS FOR (n:EscortAgent) ON (n.name);
CREATE INDEX network_risk IF NOT EXISTS FOR (n:Network) ON (n.risk);
CREATE INDEX api_key_hash IF NOT EXISTS FOR (n:ApiKey) ON (n.hash);
CREATE INDEX page_session_key IF NOT EXISTS FOR (n:PageSession) ON (n.key_id);
CREATE INDEX page_session_expiry IF NOT EXISTS FOR (n:PageSession) ON (n.expires_at);
// The analysis window (detect_*_since.cypher) finds the recent bookings by time.
CREATE INDEX registration_booked_at IF NOT EXISTS FOR (n:Registration) ON (n.booked_at);
// The nightly pass (detect_registrations_of_runs.cypher) finds what the runs since its last
// analysis wrote.
CREATE INDEX registration_ingest_run IF NOT EXISTS FOR (n:Registration) ON (n.ingest_run);
// Earlier versions indexed these Registration properties, which no query of ScalperNet reads.
DROP INDEX registration_hospital IF EXISTS;
DROP INDEX registration_registration_id IF EXISTS;
