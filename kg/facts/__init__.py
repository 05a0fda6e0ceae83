"""Curated facts: loading YAML with line numbers, the record schema, and checks."""
