// Detection evidence: distinct visit cards on the bookings of each entity named by node id
// (the channels of the reported rings: many cards bound to one payer is a scalper's mark),
// counting the bookings of the analysis window only (from $since_ms; null: every booking).
UNWIND $ids AS i
MATCH (e:Entity) WHERE id(e) = i
OPTIONAL MATCH (e)<-[:CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]-(r:Registration)
WHERE $since_ms IS NULL OR r.booked_at >= datetime({epochMillis: $since_ms})
WITH i, count(DISTINCT r.visit_card) AS cards
RETURN collect(i) AS ids, collect(cards) AS cards
