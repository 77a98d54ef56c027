"""Demo data for newcomers and the simulator."""
