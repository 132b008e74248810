"""Definitions compiled into shared state machines, and the decisions they make."""
