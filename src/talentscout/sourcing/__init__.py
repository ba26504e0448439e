"""Sourcing runs: creation, refinement passes, preview, results, and the run pipeline task."""
