// bench_ingest --without ingest_run: the nightly pass's index dropped, to measure its cost.
DROP INDEX registration_ingest_run IF EXISTS
