"""``make cluster``: a production-like Airflow (CeleryExecutor, PostgreSQL, Redis) as local processes."""
