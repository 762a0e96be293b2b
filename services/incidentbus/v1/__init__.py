"""Generated from proto/incidentbus/v1. Do not edit."""
