"""Triggers of the Capella provider (run in the triggerer; async, never blocking its event loop)."""
