"""incidentbus: a multi-agency incident bus on Apache Kafka."""

__version__ = "0.1.0"
