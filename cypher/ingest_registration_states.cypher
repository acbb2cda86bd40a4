// Which registrations of a batch are already stored, with their content hash and last event.
UNWIND $keys AS key
MATCH (r:Registration {key: key})
RETURN r.key AS key, r.content_hash AS content_hash, r.last_event AS last_event
