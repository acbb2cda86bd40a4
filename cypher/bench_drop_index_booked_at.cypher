// bench_ingest --without booked_at: the analysis window's index dropped, to measure its cost.
DROP INDEX registration_booked_at IF EXISTS
