"""Synthetic labelled video from photographs, for training when no labelled video is at hand.

Each sequence is a plan of random numbers drawn from ``(seed, index)``: a background photograph
seen through a moving, zooming, slightly rotating camera (or a run of frames of a real video,
whose camera motion is real), a target cut from a photograph with a random smooth outline, moving
on a smooth curve with changes of scale, aspect ratio, rotation and brightness, one to three
look-alike distractors cut from the same photo region (shifted, recoloured, reshaped), an
occluder that crosses the target part-way, whole-frame illumination drift, motion blur when things
move fast, and a little sensor noise. Frames are rendered on demand, deterministically, from the
plan; the ground-truth box is the exact extent of the target's outline (also while it is hidden
in part).

The parts: `synthetic_sources` (the photograph and video pools), `synthetic_motion` (smooth waves and
outlines), this module (the plan of one sequence, its rendering, the preview and the benchmark).

Usage::

    pool = PhotoPool.from_folders(["/usr/share/backgrounds", "/usr/share/wallpapers"])
    sequences = synthetic_sequences(pool, count=2000, seed=0)   # list[Sequence]

``python -m tracker.training.data.synthetic --images DIR --sheet out.png`` writes a contact sheet
of rendered frames with their boxes; ``--bench`` measures clips per second.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Sequence as SequenceType

import cv2
import numpy as np

from ...types import Box
from .sequences import DatasetError, Sequence
from .synthetic_motion import Outline, Wave, fold
from .synthetic_sources import (DEFAULT_IMAGE_DIRS, DEFAULT_VIDEO_FILES, IMAGE_SUFFIXES, MIN_TARGET_TEXTURE,
                                PhotoPool, VideoPool, find_images)

__all__ = [
    "DEFAULT_IMAGE_DIRS",
    "DEFAULT_VIDEO_FILES",
    "IMAGE_SUFFIXES",
    "PhotoPool",
    "VideoPool",
    "SyntheticConfig",
    "SyntheticVideo",
    "find_images",
    "synthetic_sequences",
]

@dataclass(frozen=True)
class SyntheticConfig:
    """How synthetic sequences look. Sizes are frame pixels; probabilities per sequence."""

    width: int = 360
    height: int = 270
    frames: int = 100
    min_target: float = 22.0  # sqrt(w h) of the target at its base scale
    max_target: float = 80.0
    max_aspect: float = 2.5  # w / h within [1 / max_aspect, max_aspect]
    scale_change: float = 0.45  # log-amplitude of the target's scale variation
    aspect_change: float = 0.2  # log-amplitude of its aspect-ratio variation
    max_speed: float = 9.0  # typical peak speed, frame pixels per frame
    fast_prob: float = 0.2  # chance of a fast sequence (x2.5 speed, strong blur)
    rotation_prob: float = 0.4
    max_rotation: float = 30.0  # degrees
    distractors: tuple[int, int] = (1, 3)  # inclusive range
    occlusion_prob: float = 0.6
    illumination: float = 0.3  # log-amplitude of the whole-frame brightness drift
    blur_exposure: float = 0.6  # fraction of a frame interval the shutter is open
    noise: float = 2.5  # max sensor noise sigma, 0..255 scale
    camera_motion: float = 1.0  # scales pan, zoom and roll of the virtual camera
    video_prob: float = 0.25  # chance of a real-video background when videos are given

    def __post_init__(self) -> None:
        if self.width < 32 or self.height < 32:
            raise ValueError("synthetic frames must be at least 32x32")
        if self.frames < 2:
            raise ValueError("a synthetic sequence needs at least 2 frames")
        if not 4 <= self.min_target <= self.max_target:
            raise ValueError("need 4 <= min_target <= max_target")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SyntheticConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown synthetic config keys: {', '.join(unknown)}")
        if "distractors" in data:
            data = {**data, "distractors": tuple(data["distractors"])}
        return cls(**data)


# ----------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Actor:
    """Something that moves over the frame: a photo cut with an outline and its motion."""

    photo: int
    source: tuple[float, float, float, float]  # x, y, w, h of the cut in the photo (pool pixels)
    outline: Outline
    cx: Wave
    cy: Wave
    log_size: Wave  # sqrt(w h), log
    log_aspect: Wave  # w / h, log
    angle: Wave  # degrees
    log_gain: Wave  # brightness of the object itself
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)  # per-channel colour gain (distractors)
    hue_shift: float = 0.0  # degrees on OpenCV's 0..180 hue scale x 2
    flip: bool = False

    def geometry(self, t: np.ndarray, width: int, height: int) -> tuple[np.ndarray, ...]:
        """Centre x, y, size w, h (unrotated) and angle at normalised times ``t``."""
        cx = fold(self.cx(t), 0.06 * width, 0.94 * width)
        cy = fold(self.cy(t), 0.06 * height, 0.94 * height)
        size = np.exp(self.log_size(t))
        aspect = np.exp(self.log_aspect(t))
        return cx, cy, size * np.sqrt(aspect), size / np.sqrt(aspect), self.angle(t)


@dataclass(frozen=True)
class Plan:
    """Everything random about one synthetic sequence."""

    index: int
    seed: int
    config: SyntheticConfig
    background: int  # photo index, or video index when video_frames is set
    cam_x: Wave  # view centre in background pixels
    cam_y: Wave
    cam_log_scale: Wave  # background pixels per frame pixel, log
    cam_angle: Wave  # degrees
    video_start: int | None
    video_step: int
    target: Actor
    behind: tuple[Actor, ...]  # distractors drawn under the target
    front: tuple[Actor, ...]  # distractors and occluders drawn over the target
    log_gain: Wave  # whole-frame brightness
    tint: tuple[float, float, float]
    noise: float
    blur: float  # exposure (fraction of a frame interval)


def _target_box(actor: Actor, t: np.ndarray, cfg: SyntheticConfig) -> list[Box | None]:
    cx, cy, w, h, angle = actor.geometry(t, cfg.width, cfg.height)
    pts = actor.outline.array()  # (V, 2)
    boxes: list[Box | None] = []
    for i in range(len(t)):
        a = math.radians(angle[i])
        px = pts[:, 0] * w[i] / 2
        py = pts[:, 1] * h[i] / 2
        xs = cx[i] + px * math.cos(a) - py * math.sin(a)
        ys = cy[i] + px * math.sin(a) + py * math.cos(a)
        x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
        box = Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0))
        boxes.append(box)
    return boxes


def _textured_region(rng: np.random.Generator, photo: np.ndarray, w: float, h: float, tries: int = 6
                     ) -> tuple[tuple[float, float, float, float], float]:
    """A w x h region of the photo, the most textured of a few random candidates, and its texture
    (mean absolute Laplacian)."""
    ph, pw = photo.shape[:2]
    w, h = min(w, pw - 2), min(h, ph - 2)
    best, best_score = None, -1.0
    for _ in range(tries):
        x = float(rng.uniform(0, pw - w))
        y = float(rng.uniform(0, ph - h))
        patch = photo[int(y) : int(y + h), int(x) : int(x + w)]
        grey = cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY)
        score = float(np.abs(cv2.Laplacian(grey, cv2.CV_16S)).mean())
        if score > best_score:
            best, best_score = (x, y, float(w), float(h)), score
    return best, best_score


def _motion(rng: np.random.Generator, cfg: SyntheticConfig, speed: float) -> tuple[Wave, Wave]:
    """A smooth path whose peak speed is about ``speed`` px/frame."""
    n = cfg.frames
    waves = []
    for extent in (cfg.width, cfg.height):
        freq = rng.uniform(0.3, 1.5)
        amp = speed * n / (2 * math.pi * freq) * rng.uniform(0.3, 1.0)
        drift = speed * n * rng.uniform(-0.4, 0.4)
        start = rng.uniform(0.2, 0.8) * extent
        w2 = Wave.random(rng, 0.0, amp * 0.3, terms=1, max_freq=3.0)
        waves.append(Wave(float(start), float(drift), (float(amp),) + w2.amps, (float(freq),) + w2.freqs,
                          (float(rng.uniform(0, 2 * math.pi)),) + w2.phases))
    return waves[0], waves[1]


def _make_plan(index: int, seed: int, pool: PhotoPool, videos: VideoPool | None,
               cfg: SyntheticConfig) -> Plan:
    rng = np.random.default_rng([seed, index, 0x5EED])
    n = cfg.frames
    fast = rng.random() < cfg.fast_prob
    speed = cfg.max_speed * rng.uniform(0.2, 1.0) * (2.5 if fast else 1.0)

    # camera / background
    use_video = videos is not None and len(videos) > 0 and rng.random() < cfg.video_prob
    if use_video:
        background = int(rng.integers(len(videos)))
        total = len(videos.videos[background])
        step = int(rng.integers(1, 3))
        step = max(1, min(step, (total - 1) // max(1, n - 1)))
        start = int(rng.integers(0, max(1, total - step * (n - 1))))
        first = videos.frame(background, 0)
        bh, bw = first.shape[:2]
        cm = 0.3 * cfg.camera_motion  # real footage already moves: only a gentle extra zoom
        video_start = start
    else:
        background = int(rng.integers(len(pool)))
        bh, bw = pool.images[background].shape[:2]
        cm = cfg.camera_motion
        video_start, step = None, 1
    fit = min(bw / cfg.width, bh / cfg.height)  # background px per frame px that fills the frame
    log_scale0 = math.log(fit * rng.uniform(0.45, 0.95))
    cam_log_scale = Wave.random(rng, log_scale0, 0.15 * cm, terms=2, max_freq=1.0)
    pan = 2.5 * cm * n * math.exp(log_scale0)  # background px over the whole sequence
    cam_x = Wave.random(rng, bw / 2, pan * 0.08, slope=pan * rng.uniform(-0.5, 0.5), terms=2, max_freq=1.5)
    cam_y = Wave.random(rng, bh / 2, pan * 0.05, slope=pan * rng.uniform(-0.2, 0.2), terms=2, max_freq=1.5)
    cam_x = Wave(cam_x.offset - cam_x.slope / 2, cam_x.slope, cam_x.amps, cam_x.freqs, cam_x.phases)
    cam_y = Wave(cam_y.offset - cam_y.slope / 2, cam_y.slope, cam_y.amps, cam_y.freqs, cam_y.phases)
    # camera roll on some sequences only: an unrotated view renders with a plain resize (much faster)
    cam_angle = Wave.random(rng, 0.0, 4.0 * cm, terms=1, max_freq=1.0) if rng.random() < 0.35 else Wave(0.0)

    # target
    size0 = math.exp(rng.uniform(math.log(cfg.min_target), math.log(cfg.max_target)))
    aspect0 = math.exp(rng.uniform(-math.log(cfg.max_aspect), math.log(cfg.max_aspect)) * 0.8)
    log_size = Wave.random(rng, math.log(size0), cfg.scale_change, slope=rng.uniform(-0.3, 0.3), terms=2,
                           max_freq=1.2)
    log_aspect = Wave.random(rng, math.log(aspect0), cfg.aspect_change, terms=1, max_freq=1.5)
    if rng.random() < cfg.rotation_prob:
        angle = Wave.random(rng, rng.uniform(-10, 10), cfg.max_rotation, terms=2, max_freq=1.0)
    else:
        angle = Wave(0.0)
    peak = size0 * math.exp(cfg.scale_change + 0.3) * math.sqrt(cfg.max_aspect)
    for _ in range(5):  # a target needs texture: try other photographs when the cut is nearly flat
        photo = int(rng.integers(len(pool)))
        ph, pw = pool.images[photo].shape[:2]
        src_side = min(peak, min(ph, pw) * 0.8)
        src_w, src_h = src_side * math.sqrt(aspect0), src_side / math.sqrt(aspect0)
        fit_src = min(1.0, (pw - 2) / src_w, (ph - 2) / src_h)
        source, texture = _textured_region(rng, pool.images[photo], src_w * fit_src, src_h * fit_src)
        if texture >= MIN_TARGET_TEXTURE:
            break
    cx, cy = _motion(rng, cfg, speed)
    target = Actor(photo, source, Outline.random(rng), cx, cy, log_size, log_aspect, angle,
                   Wave.random(rng, 0.0, 0.15, terms=1, max_freq=1.5), flip=bool(rng.random() < 0.5))

    # distractors: cut near the same place of the same photo, recoloured and reshaped
    behind, front = [], []
    lo, hi = cfg.distractors
    for _ in range(int(rng.integers(lo, hi + 1))):
        sx, sy, sw, sh = source
        dx, dy = rng.uniform(-0.35, 0.35) * sw, rng.uniform(-0.35, 0.35) * sh
        dsrc = (float(np.clip(sx + dx, 0, pw - sw - 1)), float(np.clip(sy + dy, 0, ph - sh - 1)), sw, sh)
        dcx, dcy = _motion(rng, cfg, speed * rng.uniform(0.5, 1.2))
        if rng.random() < 0.5:  # make it cross the target's path at some time
            tc = rng.uniform(0.2, 0.8)
            tx, ty = float(target.cx(tc)), float(target.cy(tc))
            dcx = Wave(dcx.offset + (tx - float(dcx(tc))), dcx.slope, dcx.amps, dcx.freqs, dcx.phases)
            dcy = Wave(dcy.offset + (ty - float(dcy(tc))) + size0 * rng.uniform(-1.5, 1.5), dcy.slope,
                       dcy.amps, dcy.freqs, dcy.phases)
        actor = Actor(
            photo, dsrc, Outline.random(rng), dcx, dcy,
            Wave.random(rng, math.log(size0 * rng.uniform(0.75, 1.3)), cfg.scale_change * 0.5, terms=1),
            Wave.random(rng, math.log(aspect0) + rng.uniform(-0.2, 0.2), cfg.aspect_change, terms=1),
            angle if rng.random() < 0.5 else Wave(float(rng.uniform(-15, 15))),
            Wave.random(rng, rng.uniform(-0.15, 0.15), 0.1, terms=1),
            tint=tuple(float(v) for v in rng.uniform(0.88, 1.12, 3)),
            hue_shift=float(rng.uniform(-12, 12)), flip=bool(rng.random() < 0.5) != target.flip,
        )
        (behind if rng.random() < 0.5 else front).append(actor)

    # occluder: another photo cut that passes over part of the target
    if rng.random() < cfg.occlusion_prob:
        ophoto = int(rng.integers(len(pool)))
        bar = rng.random() < 0.4
        osize = size0 * rng.uniform(0.5, 0.9)
        oaspect = rng.uniform(3, 6) if bar else math.exp(rng.uniform(-0.5, 0.5))
        if bar and rng.random() < 0.5:
            oaspect = 1 / oaspect
        oph, opw = pool.images[ophoto].shape[:2]
        ow, oh = min(osize * math.sqrt(oaspect), opw - 2), min(osize / math.sqrt(oaspect), oph - 2)
        osrc, _ = _textured_region(rng, pool.images[ophoto], ow, oh)
        tc = rng.uniform(0.15, 0.85)
        tx, ty = float(target.cx(tc)), float(target.cy(tc))
        # pass off-centre so the target is only partly covered
        off = size0 * rng.uniform(0.3, 0.6) * rng.choice([-1, 1], 2)
        vx, vy = rng.uniform(-1, 1, 2) * speed * n * 0.8
        ocx = Wave(tx + off[0] - vx * tc, vx)
        ocy = Wave(ty + off[1] - vy * tc, vy)
        front.append(Actor(ophoto, osrc, Outline.random(rng), ocx, ocy,
                           Wave(math.log(osize)), Wave(math.log(oaspect)),
                           Wave(float(rng.uniform(-20, 20))), Wave(0.0)))

    illum = Wave.random(rng, 0.0, cfg.illumination, terms=2, max_freq=1.5)
    tint = tuple(float(v) for v in rng.uniform(0.92, 1.08, 3))
    noise = float(rng.uniform(0, cfg.noise))
    blur = cfg.blur_exposure * (1.0 if fast else rng.uniform(0.3, 1.0))
    return Plan(index, seed, cfg, background, cam_x, cam_y, cam_log_scale, cam_angle, video_start, step,
                target, tuple(behind), tuple(front), illum, tint, noise, blur)


# ----------------------------------------------------------------------------- rendering


def _hue_shift(rgb: np.ndarray, degrees: float) -> np.ndarray:
    if abs(degrees) < 0.5:
        return rgb
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + int(round(degrees / 2))) % 180).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def _sprite(pool: PhotoPool, actor: Actor) -> np.ndarray:
    """The actor's cut-out as alpha-premultiplied RGBA uint8 (h, w, 4), colour-altered as planned."""
    photo = pool.images[actor.photo]
    x, y, w, h = actor.source
    x0, y0 = int(x), int(y)
    x1, y1 = max(x0 + 2, int(round(x + w))), max(y0 + 2, int(round(y + h)))
    rgb = np.ascontiguousarray(photo[y0:y1, x0:x1])
    if actor.flip:
        rgb = np.ascontiguousarray(rgb[:, ::-1])
    rgb = _hue_shift(rgb, actor.hue_shift)
    sh, sw = rgb.shape[:2]
    ss = 4
    mask = np.zeros((sh * ss, sw * ss), np.uint8)
    pts = actor.outline.array()
    poly = np.stack([(pts[:, 0] + 1) / 2 * sw * ss, (pts[:, 1] + 1) / 2 * sh * ss], 1)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 255, cv2.LINE_AA)
    alpha = cv2.resize(mask, (sw, sh), interpolation=cv2.INTER_AREA)
    colour = rgb.astype(np.float32) * (np.array(actor.tint, np.float32) / 255) * alpha[..., None]
    return np.dstack([np.clip(colour + 0.5, 0, 255).astype(np.uint8), alpha])


def _line_kernel(dx: float, dy: float) -> np.ndarray | None:
    length = math.hypot(dx, dy)
    if length < 1.5:
        return None
    n = int(math.ceil(length)) | 1
    k = np.zeros((n, n), np.float32)
    c = n // 2
    cv2.line(k, (int(round(c - dx / 2)), int(round(c - dy / 2))), (int(round(c + dx / 2)), int(round(c + dy / 2))),
             1.0, 1, cv2.LINE_AA)
    return k / k.sum()


class SyntheticVideo:
    """Renders the frames of one plan (the reader of a synthetic :class:`Sequence`)."""

    def __init__(self, plan: Plan, pool: PhotoPool, videos: VideoPool | None = None):
        self.plan = plan
        self.pool = pool
        self.videos = videos
        self._sprites: dict[int, np.ndarray] | None = None
        self._noise_field: np.ndarray | None = None

    def __getstate__(self) -> dict:
        return {"plan": self.plan, "pool": self.pool, "videos": self.videos, "_sprites": None,
                "_noise_field": None}

    def _actors(self) -> list[tuple[Actor, np.ndarray]]:
        plan = self.plan
        actors = [*plan.behind, plan.target, *plan.front]
        if self._sprites is None:
            self._sprites = {i: _sprite(self.pool, a) for i, a in enumerate(actors)}
        return [(a, self._sprites[i]) for i, a in enumerate(actors)]

    def _background(self, k: int, t: float) -> np.ndarray:
        plan, cfg = self.plan, self.plan.config
        if plan.video_start is not None:
            total = len(self.videos.videos[plan.background])
            position = plan.video_start + k * plan.video_step
            position = int(fold(np.array(position, np.float64), 0, total - 1))  # ping-pong past the end
            source = self.videos.frame(plan.background, position)
        else:
            source = self.pool.images[plan.background]
        scale = math.exp(float(plan.cam_log_scale(t)))  # background px per frame px
        a = math.radians(float(plan.cam_angle(t)))
        if plan.video_start is not None:
            bx, by = source.shape[1] / 2, source.shape[0] / 2
        else:
            bx, by = float(plan.cam_x(t)), float(plan.cam_y(t))
        if a == 0.0:
            w, h = cfg.width * scale, cfg.height * scale
            x0, y0 = round(bx - w / 2), round(by - h / 2)
            x1, y1 = round(bx + w / 2), round(by + h / 2)
            if x0 >= 0 and y0 >= 0 and x1 <= source.shape[1] and y1 <= source.shape[0] and x1 > x0 and y1 > y0:
                return cv2.resize(source[y0:y1, x0:x1], (cfg.width, cfg.height), interpolation=cv2.INTER_LINEAR)
        c, s = math.cos(a) * scale, math.sin(a) * scale
        # frame pixel (u, v) -> background (bx + R S (u - W/2), ...), pixel centres
        u0, v0 = cfg.width / 2 - 0.5, cfg.height / 2 - 0.5
        mat = np.array([[c, -s, bx - 0.5 - (c * u0 - s * v0)], [s, c, by - 0.5 - (s * u0 + c * v0)]])
        return cv2.warpAffine(source, mat, (cfg.width, cfg.height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REFLECT_101)

    def _noise(self) -> np.ndarray | None:
        """Sensor noise for this sequence: an int16 field a little larger than the frame; each frame
        takes a window of it at a seeded offset (much cheaper than fresh noise per frame)."""
        plan, cfg = self.plan, self.plan.config
        if plan.noise <= 0:
            return None
        if self._noise_field is None:
            rng = np.random.default_rng([plan.seed, plan.index, 0x4015E])
            field = rng.standard_normal((cfg.height + 32, cfg.width + 32, 3), dtype=np.float32) * plan.noise
            self._noise_field = np.round(field).astype(np.int16)
        return self._noise_field

    def __call__(self, k: int) -> np.ndarray:
        """Frame ``k`` as RGB uint8 (height, width, 3)."""
        return self.render(k)

    def render(self, k: int, draw_target: bool = True) -> np.ndarray:
        """Frame ``k``; ``draw_target=False`` leaves the target out (to see what it covers)."""
        plan, cfg = self.plan, self.plan.config
        if not 0 <= k < cfg.frames:
            raise IndexError(f"synthetic sequence {plan.index}: frame {k} out of range 0..{cfg.frames - 1}")
        n = cfg.frames
        t = k / (n - 1)
        dt = plan.blur / (n - 1)
        frame = self._background(k, t)  # uint8; actors are blended in float inside their boxes only
        for actor, sprite in self._actors():
            if draw_target or actor is not plan.target:
                self._draw(frame, actor, sprite, t, dt)
        gain = math.exp(float(plan.log_gain(t)))
        frame = cv2.multiply(frame, tuple(float(c * gain) for c in plan.tint) + (0.0,))
        noise = self._noise()
        if noise is not None:
            oy, ox = np.random.default_rng([plan.seed, plan.index, k]).integers(0, 33, 2)
            frame = cv2.add(frame, noise[oy : oy + cfg.height, ox : ox + cfg.width], dtype=cv2.CV_8U)
        return frame

    def _draw(self, frame: np.ndarray, actor: Actor, sprite: np.ndarray, t: float, dt: float) -> None:
        cfg = self.plan.config
        times = np.array([t, min(1.0, t + dt)])
        cx, cy, w, h, angle = actor.geometry(times, cfg.width, cfg.height)
        sh, sw = sprite.shape[:2]
        a = math.radians(float(angle[0]))
        ca, sa = math.cos(a), math.sin(a)
        sx, sy = float(w[0]) / sw, float(h[0]) / sh
        m = np.array([[ca * sx, -sa * sy], [sa * sx, ca * sy]])
        half = np.abs(m) @ np.array([sw / 2, sh / 2])
        vx, vy = float(cx[1] - cx[0]), float(cy[1] - cy[0])
        if abs(vx) > cfg.width / 3 or abs(vy) > cfg.height / 3:  # bounced off a margin: no blur streak
            vx = vy = 0.0
        pad = int(math.ceil(max(abs(vx), abs(vy)))) + 2
        x0 = max(0, int(math.floor(cx[0] - half[0])) - pad)
        y0 = max(0, int(math.floor(cy[0] - half[1])) - pad)
        x1 = min(cfg.width, int(math.ceil(cx[0] + half[0])) + pad)
        y1 = min(cfg.height, int(math.ceil(cy[0] + half[1])) + pad)
        if x1 <= x0 or y1 <= y0:
            return
        # sprite pixel centre (i + 0.5) - size/2 -> m @ (.) + centre, as pixel indices relative to the ROI
        offset = np.array([cx[0] - x0, cy[0] - y0]) - m @ np.array([sw / 2, sh / 2]) - 0.5 + m @ np.array([0.5, 0.5])
        mat = np.hstack([m, offset[:, None]])
        patch = cv2.warpAffine(sprite, mat, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
        kernel = _line_kernel(vx, vy)
        if kernel is not None:
            patch = cv2.filter2D(patch, -1, kernel, borderType=cv2.BORDER_CONSTANT)
        gain = math.exp(float(actor.log_gain(t)))
        patch = patch.astype(np.float32)
        roi = frame[y0:y1, x0:x1].astype(np.float32)
        roi *= 1 - patch[..., 3:4] * (1 / 255)
        roi += patch[..., :3] * gain
        np.clip(roi, 0, 255, out=roi)
        frame[y0:y1, x0:x1] = roi.astype(np.uint8)


def synthetic_sequences(images: PhotoPool | str | os.PathLike | SequenceType[str | os.PathLike], count: int,
                        seed: int = 0, config: SyntheticConfig | None = None,
                        videos: VideoPool | SequenceType[str | os.PathLike] | None = None) -> list[Sequence]:
    """``count`` synthetic sequences; sequence ``i`` depends only on (images, videos, seed, i, config).

    ``images`` is a :class:`PhotoPool` or folder(s) of photographs (loaded with
    :meth:`PhotoPool.from_folders`); ``videos`` optional real clips for moving backgrounds (a
    :class:`VideoPool` or video files). Frames are rendered when read; boxes are known up front.
    """
    cfg = config or SyntheticConfig()
    pool = images if isinstance(images, PhotoPool) else PhotoPool.from_folders(images)
    vpool = videos if (videos is None or isinstance(videos, VideoPool)) else VideoPool.from_files(videos)
    t = np.linspace(0, 1, cfg.frames)
    out = []
    for i in range(count):
        plan = _make_plan(i, seed, pool, vpool, cfg)
        boxes = _target_box(plan.target, t, cfg)
        out.append(Sequence(f"synthetic/{seed}/{i}", tuple(boxes), reader=SyntheticVideo(plan, pool, vpool)))
    return out


# ----------------------------------------------------------------------------- preview and benchmark


def contact_sheet(sequences: SequenceType[Sequence], per_sequence: int = 4) -> np.ndarray:
    """Frames of each sequence (evenly spaced) with their boxes drawn, tiled into one RGB image."""
    rows = []
    for seq in sequences:
        picks = np.linspace(0, len(seq) - 1, per_sequence).round().astype(int)
        tiles = []
        for k in picks:
            frame, _ = seq.read(int(k))
            frame = frame.copy()
            box = seq.boxes[int(k)]
            if box is not None:
                cv2.rectangle(frame, (int(round(box.x)), int(round(box.y))),
                              (int(round(box.x + box.w)), int(round(box.y + box.h))), (0, 255, 0), 1)
            tiles.append(frame)
        rows.append(np.hstack(tiles))
    return np.vstack(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Preview or benchmark synthetic training sequences.")
    parser.add_argument("--images", nargs="+", default=list(DEFAULT_IMAGE_DIRS),
                        help="folders of photographs (recursive jpg/png/webp)")
    parser.add_argument("--videos", nargs="*", default=None, help="real video files for moving backgrounds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=6, help="sequences in the contact sheet")
    parser.add_argument("--sheet", type=Path, help="write a contact sheet PNG here")
    parser.add_argument("--bench", type=int, default=0, metavar="N", help="time N training clips")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers for --bench")
    args = parser.parse_args(argv)
    try:
        start = time.perf_counter()
        pool = PhotoPool.from_folders(args.images, progress=True)
        vpool = VideoPool.from_files(args.videos) if args.videos else None
        print(f"{len(pool)} photographs usable ({time.perf_counter() - start:.1f} s to load)"
              + (f", {len(vpool)} videos" if vpool else ""))
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.sheet:
        seqs = synthetic_sequences(pool, args.count, args.seed, videos=vpool)
        sheet = contact_sheet(seqs)
        cv2.imwrite(str(args.sheet), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
        print(f"wrote {args.sheet}")
    if args.bench:
        import torch

        from .clips import ClipDataset, clip_loader

        torch.set_num_threads(1)
        seqs = synthetic_sequences(pool, max(100, args.bench), args.seed, videos=vpool)
        for uint8 in (False, True):
            data = ClipDataset(seqs, args.bench, seed=args.seed, uint8=uint8)
            loader = clip_loader(data, batch_size=8, workers=args.workers)
            start = time.perf_counter()
            clips = sum(batch["exemplars"].shape[0] for batch in loader)
            elapsed = time.perf_counter() - start
            print(f"{clips} clips in {elapsed:.1f} s: {clips / elapsed:.1f} clips/s "
                  f"({'uint8' if uint8 else 'float32'}, {args.workers} workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
