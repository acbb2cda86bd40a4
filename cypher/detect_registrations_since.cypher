// Detection projection over a window: the registrations booked at or after $since_ms, with
// their times and slot, as parallel columns (one slice, $part of $parts); the booked_at
// index finds them without touching older bookings. $missing marks an absent time.
MATCH (r:Registration)
WHERE r.booked_at >= datetime({epochMillis: $since_ms}) AND id(r) % $parts = $part
RETURN collect(id(r)) AS registration,
       collect(coalesce(r.latency_ms, $missing)) AS latency_ms,
       collect(r.booked_at.epochMillis) AS booked_ms,
       collect(coalesce(r.cancelled_at.epochMillis, $missing)) AS cancelled_ms,
       collect(coalesce(r.paid_at.epochMillis, $missing)) AS paid_ms,
       collect(coalesce(r.slot_time.epochMillis, $missing)) AS slot_ms,
       collect(coalesce(r.hospital, '')) AS hospital,
       collect(coalesce(r.doctor, '')) AS doctor
