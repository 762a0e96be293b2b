"""Operator and auditor tools: replay, dead letters, integrity, trace, queries and metrics."""
