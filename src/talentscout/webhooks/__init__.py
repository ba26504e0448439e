"""Webhooks: configs, the transactional outbox, signed at-least-once delivery, breaker, SSRF guard.

Features emit through `talentscout.webhooks.outbox.emit` and validate a run's
`webhookId` with `validate_run_webhook`; `run_dispatcher` runs the delivery loop.
"""
