// Detection projection: registration -> contact phone, with the phone's virtual flag.
MATCH (r:Registration)-[:CONTACT]->(x:Phone)
RETURN collect(id(r)) AS registration, collect(id(x)) AS entity,
       collect(coalesce(x.virtual, false)) AS virtual
