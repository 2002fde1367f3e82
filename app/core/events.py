"""`Event`: the core's Qt-free signal, a list of callbacks called in the order they connected."""
from __future__ import annotations

from typing import Any, Callable

__all__ = ["Event"]


class Event:
    def __init__(self) -> None:
        self._handlers: list[Callable[..., Any]] = []

    def connect(self, handler: Callable[..., Any]) -> None:
        self._handlers.append(handler)

    def disconnect(self, handler: Callable[..., Any]) -> None:
        self._handlers.remove(handler)

    def emit(self, *args: Any) -> None:
        for handler in list(self._handlers):
            handler(*args)
