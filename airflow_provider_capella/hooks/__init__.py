"""Airflow hooks of the Capella provider; the public one is :class:`.capella.CapellaHook`."""
