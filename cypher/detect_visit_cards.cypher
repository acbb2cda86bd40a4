// Detection evidence: distinct visit cards on the bookings of each entity named by node id
// (the channels of the reported rings: many cards bound to one payer is a scalper's mark).
UNWIND $ids AS i
MATCH (e:Entity) WHERE id(e) = i
OPTIONAL MATCH (e)<-[:CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]-(r:Registration)
WITH i, count(DISTINCT r.visit_card) AS cards
RETURN collect(i) AS ids, collect(cards) AS cards
