"""Webhooks: Standard Webhooks signing (signing), where messages may go (targets), and the
deliverer that POSTs the register's outbox (delivery). See docs/webhooks.md.

Nothing is imported here, so that the register can use targets and signing (standard
library only) without loading the deliverer.
"""
