"""The web board and the HTTP API: pages for people (`pages/`), JSON for programs
(`api/`), both calling the same services as the command line, never the store."""
