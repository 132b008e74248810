"""Adapters around the pure core: persistence, clock, logging, CLI."""
