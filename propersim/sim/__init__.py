"""Simulation: the Simulator interface and its in-process implementation, the wiring of a run, persona groups
stepping through days, the day loop, cadence schedules and sweeps."""
