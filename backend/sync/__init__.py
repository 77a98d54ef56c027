"""Offline-first sync for the technician app: what changed since a cursor, and writes made
offline applied once each, with the rules checked against the recorded fix and time."""
