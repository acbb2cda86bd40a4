// What is known of a file by its checksum: a complete file is skipped unless forced.
OPTIONAL MATCH (f:IngestedFile {checksum: $checksum})
RETURN f.status AS status, f.run_id AS run_id, f.path AS path
