"""The service: open cycles, fire events, board and history, over the ports."""
