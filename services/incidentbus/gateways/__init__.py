"""Gateways: published standards at the edge (Open311 GeoReport v2), canonical events inside."""
