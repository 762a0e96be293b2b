"""Health (120 ambulance dispatch): calls with chief complaints and triage, crew task updates."""
