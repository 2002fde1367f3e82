"""Plain value types shared by the engine, the command line and the GUI.

One box convention everywhere inside the code: ``Box(x, y, w, h)`` in 0-based float pixels,
(x, y) the top-left corner. File formats convert at their own edges.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Box", "BoxError"]


class BoxError(ValueError):
    """A box that is malformed or does not fit the frame."""


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def __post_init__(self) -> None:
        for name in ("x", "y", "w", "h"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise BoxError(f"box {name}={value!r} is not a finite number")
        if self.w <= 0 or self.h <= 0:
            raise BoxError(f"box size {self.w}x{self.h} must be positive")

    @classmethod
    def from_center(cls, cx: float, cy: float, w: float, h: float) -> "Box":
        return cls(float(cx - w / 2), float(cy - h / 2), float(w), float(h))

    @classmethod
    def parse(cls, text: str) -> "Box":
        """Parse ``"x,y,w,h"`` (commas or whitespace); raises BoxError naming the text."""
        parts = text.replace(",", " ").split()
        if len(parts) != 4:
            raise BoxError(f"box {text!r} must have four numbers x,y,w,h")
        try:
            values = [float(p) for p in parts]
        except ValueError as e:
            raise BoxError(f"box {text!r} holds something that is not a number") from e
        return cls(*values)

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    @property
    def area(self) -> float:
        return self.w * self.h

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.w, self.h)

    def to_xyxy(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.x + self.w, self.y + self.h)

    def iou(self, other: "Box") -> float:
        ix = max(0.0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0.0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def check_inside(self, width: int, height: int) -> None:
        """Raise BoxError unless the box overlaps a ``width`` x ``height`` frame.

        A box may stick out of the frame (objects leave the picture), but one that does not
        touch it at all cannot be tracked.
        """
        ix = min(self.x + self.w, width) - max(self.x, 0.0)
        iy = min(self.y + self.h, height) - max(self.y, 0.0)
        if ix <= 0 or iy <= 0:
            raise BoxError(
                f"box {self.x:g},{self.y:g},{self.w:g},{self.h:g} lies outside the "
                f"{width}x{height} frame"
            )
