// Opens a nightly pass (status 'running' until nightly_pass_finish closes it).
MERGE (p:NightlyPass {id: $id})
SET p.started_at = $started_at, p.status = 'running', p.drop_dir = $drop_dir, p.host = $host
RETURN p.id AS id
