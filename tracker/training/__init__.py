"""Training MemTrack: data pipeline (``tracker.training.data``), losses, configuration, the trainer, and
``with_neck`` (adds the optional trainable neck to a checkpoint that has none)."""
from __future__ import annotations

__all__ = ["with_neck"]


def with_neck(net, config):
    """(net, config) with a trainable 1x1 neck added on the backbone features, starting as the identity,
    so the tracker is unchanged until training moves it. A network that has one is returned as is."""
    import dataclasses

    from ..config import TrackerConfig
    from ..model import with_model_config

    if config.model.neck:
        return net, config
    config = TrackerConfig(model=dataclasses.replace(config.model, neck=True), tracking=config.tracking)
    return with_model_config(net, config.model), config
