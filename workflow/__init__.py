"""bontot's pure core: definitions, the compiled state machines, rules and the service.

Nothing in this package touches the network, files, the wall clock or SQL; it talks to
the world through the protocols in :mod:`workflow.service.ports`.
"""
