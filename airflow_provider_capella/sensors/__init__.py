"""Sensors of the Capella provider."""
