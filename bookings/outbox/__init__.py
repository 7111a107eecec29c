"""The email outbox: rows written inside a change's transaction, delivered by a worker.

notifications (which emails a change needs) → tasks (queued in the same transaction, ids only)
→ delivery (claim, send, retry, sweep) → emails (render one row). docs/operations.md.
"""
