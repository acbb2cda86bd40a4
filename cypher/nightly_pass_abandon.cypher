// Passes on this drop folder still 'running' while this pass holds the lock: their process died.
MATCH (p:NightlyPass {status: 'running', drop_dir: $drop_dir})
WHERE p.id <> $id
SET p.status = 'abandoned', p.ended_at = $now,
    p.error = 'the process ended before the pass finished; its files stayed in the drop folder'
RETURN count(p) AS abandoned
