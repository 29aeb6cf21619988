"""Simulation: persona groups stepping through days, and the single-process runner."""
