"""Citizens (12345 hotline, Open311 GeoReport v2 front ends)."""
