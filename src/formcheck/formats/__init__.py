"""Importers of pose data from other systems into formcheck's pose trace (docs/trace-format.md)."""
