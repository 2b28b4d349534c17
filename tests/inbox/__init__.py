"""Tests of the webhook inbox and its workers."""
