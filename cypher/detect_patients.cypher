// Detection projection: each registration's patient and ID card with their flags.
MATCH (r:Registration)-[:FOR]->(p:Patient)
OPTIONAL MATCH (p)-[:HAS_ID]->(c:IDCard)
RETURN collect(id(r)) AS registration, collect(id(p)) AS patient,
       collect(coalesce(id(c), -1)) AS id_card,
       collect(coalesce(p.junk_name, false)) AS junk_name,
       collect(coalesce(c.valid, true)) AS id_valid
