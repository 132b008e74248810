"""Guards: named rules a definition configures and a transition names.

A rule kind is a params model plus an evaluator returning one Check per condition, so
a refusal (or a verdict) lists every check with its actual and required value. The
kinds are in `workflow.rules.kinds`; this package's own import stays empty, so that a
module needing only a `Check` (`workflow.rules.checks`) does not load every kind's
models (a command's start-up time).
"""
