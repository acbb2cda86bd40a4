// Closes a nightly pass with its files, counts, analysis summary, duration and status.
MERGE (p:NightlyPass {id: $id})
SET p += $props
RETURN p.id AS id
