// Detection window: the newest booking time (epoch ms), read from the booked_at index.
MATCH (r:Registration) WHERE r.booked_at IS NOT NULL
WITH r.booked_at AS booked ORDER BY booked DESC LIMIT 1
RETURN booked.epochMillis AS newest
