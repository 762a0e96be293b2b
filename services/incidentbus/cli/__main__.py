"""`python -m incidentbus.cli` runs the same command as `incidentbus`."""

from incidentbus.cli.main import main

main()
