"""Delivering queued messages: the outbox worker, its pacing, and the sender it drives.

Handlers only queue rows (storage/outbox.py), inside their own
transaction; `OutboxWorker` leases due rows, paces them under the
channel's limits and sends them through a channel's `Sender`. Why it sends
each message at most once is in docs/outbox.md.
"""
