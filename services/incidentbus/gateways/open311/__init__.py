"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2): citizens' service requests.

Pure parts: `documents` (the standard's JSON and XML), `requests` (a POSTed form -> the citizen
agency's native message; API keys; query parameters), `status` (a request as its case stands).
`gateway` holds the state and does the I/O (publishing, dead letters, the projection); `web` is
the HTTP shell.
"""
