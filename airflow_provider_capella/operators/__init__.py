"""Airflow operators for the Capella Space API, one module per resource (docs/operators.md)."""
