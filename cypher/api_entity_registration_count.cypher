// How many registrations an entity has (degree counts; an ID card's through its patients).
MATCH (e:Entity {uid: $uid})
RETURN COUNT { ()-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(e) }
       + COUNT { (:Registration)-[:FOR]->(:Patient)-[:HAS_ID]->(e) } AS registrations
