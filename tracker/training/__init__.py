"""Training MemTrack: data pipeline (``tracker.training.data``), losses, configuration and the trainer."""
