"""Helpers shared by tests: real receivers for the notification channels."""
