"""Supervision workflow: evaluation rounds, county cases through review, sampling, locking."""
