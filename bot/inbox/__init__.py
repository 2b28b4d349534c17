"""Webhook updates stored in the inbox table and handled by leasing workers (docs/operations.md)."""
