"""Definitions: YAML text -> validated, resolved, hashed specs."""
