"""Smooth random motion for synthetic video: sums of sines folded into a range (`Wave`) and random
smooth outlines (`Outline`). Part of the synthetic training data (`tracker.training.data.synthetic`)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Outline", "Wave", "fold"]


@dataclass(frozen=True)
class Wave:
    """A smooth random function of normalised time t in [0, 1]: offset + slope t + sum of sines."""

    offset: float
    slope: float = 0.0
    amps: tuple[float, ...] = ()
    freqs: tuple[float, ...] = ()
    phases: tuple[float, ...] = ()

    def __call__(self, t: np.ndarray | float) -> np.ndarray:
        t = np.asarray(t, np.float64)
        out = self.offset + self.slope * t
        for a, f, p in zip(self.amps, self.freqs, self.phases):
            out = out + a * np.sin(2 * math.pi * f * t + p)
        return out

    @classmethod
    def random(cls, rng: np.random.Generator, offset: float, amplitude: float, slope: float = 0.0,
               terms: int = 2, max_freq: float = 2.0) -> "Wave":
        amps = tuple(float(a) for a in amplitude * rng.uniform(0.3, 1.0, terms) / np.arange(1, terms + 1))
        freqs = tuple(float(f) for f in rng.uniform(0.2, max_freq, terms))
        phases = tuple(float(p) for p in rng.uniform(0, 2 * math.pi, terms))
        return cls(float(offset), float(slope), amps, freqs, phases)


def fold(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Reflect values into [low, high] (a path that bounces off the frame's margins)."""
    span = high - low
    y = np.mod(x - low, 2 * span)
    return low + np.where(y > span, 2 * span - y, y)


@dataclass(frozen=True)
class Outline:
    """A star-shaped smooth outline in [-1, 1]^2 touching all four sides (so its unrotated bounding box
    is exactly the object's w x h)."""

    points: tuple[tuple[float, float], ...]

    @classmethod
    def random(cls, rng: np.random.Generator, vertices: int = 48) -> "Outline":
        theta = np.linspace(0, 2 * math.pi, vertices, endpoint=False)
        kind = rng.integers(3)
        if kind == 0:  # blob: low harmonics
            r = np.ones(vertices)
            for k in range(2, 6):
                r += rng.uniform(0, 0.18 / (k - 1)) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
        elif kind == 1:  # rounded rectangle (super-ellipse)
            n = rng.uniform(3, 6)
            c, s = np.abs(np.cos(theta)), np.abs(np.sin(theta))
            r = (c**n + s**n) ** (-1 / n)
        else:  # ellipse with a dent or a bump
            r = 1 + rng.uniform(-0.15, 0.15) * np.exp(-((theta - rng.uniform(0, 2 * math.pi)) % (2 * math.pi) - math.pi) ** 2)
        x, y = r * np.cos(theta), r * np.sin(theta)
        x = 2 * (x - x.min()) / (x.max() - x.min()) - 1
        y = 2 * (y - y.min()) / (y.max() - y.min()) - 1
        return cls(tuple((float(a), float(b)) for a, b in zip(x, y)))

    def array(self) -> np.ndarray:
        return np.array(self.points, np.float64)
