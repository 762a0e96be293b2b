"""The one-command demo: a compressed day in a district, played by simulated agency systems."""
