"""Shared kernel: what every service needs (envelope, codec, catalog, settings, logging, dead letters)."""
