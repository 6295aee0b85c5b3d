"""Writes. Every function here is keyword-only and runs in (or opens) a transaction."""
