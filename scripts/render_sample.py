#!/usr/bin/env python3
"""Render the project's own bundled sample clip, deterministically, from procedural content only.

The scene: a slowly panning, procedurally textured park (sky gradient, noise-textured ground,
hills, bushes, a road), a patterned ball that travels on a curved path and grows as it comes
closer (the main object), a similar-looking ball with a slightly different pattern (a
distractor), a toy car driving along the road (a second object for multi-object annotation) and
a foreground lamp post that partially hides the ball for a few frames.

Objects are drawn as anti-aliased sprites warped to float positions, so the ground-truth boxes
are the renderer's exact geometry (0-based ``x, y, w, h``; the full extent of the object, also
while it is partly hidden).

Usage::

    python scripts/render_sample.py [--out resources/sample]

Writes ``sample.mp4`` (25 fps; H.264 or VP9, which browsers play, whichever OpenCV's build has, else
``mp4v`` with a note; see ``tracker/video_writer.py``), ``sample_groundtruth.txt`` (the ball) and
``sample_groundtruth_car.txt`` (the car), one ``x,y,w,h`` line per frame.
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 480, 270
FPS = 25.0
FRAMES = 150
SEED = 20240611
PAN = 40  # the background is this many pixels wider than the frame; the camera pans across it
SPRITE = 192  # sprite resolution before it is warped to its on-screen size

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "resources" / "sample"
MAIN_GT = "sample_groundtruth.txt"
SECOND_GT = "sample_groundtruth_car.txt"


@dataclass(frozen=True)
class Placement:
    """Where a sprite lands on frame k: its box (0-based x, y, w, h) and rotation in degrees."""

    x: float
    y: float
    w: float
    h: float
    angle: float = 0.0

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.w, self.h)


# ---------------------------------------------------------------------------------------------
# procedural textures


def _value_noise(rng: np.random.Generator, height: int, width: int, octaves=(4, 8, 16, 32)) -> np.ndarray:
    """Smooth multi-octave value noise in [0, 1], (H, W) float32."""
    out = np.zeros((height, width), np.float32)
    total = 0.0
    for i, cells in enumerate(octaves):
        amp = 0.55**i
        grid = rng.random((max(2, height * cells // width), cells)).astype(np.float32)
        out += amp * cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
        total += amp
    out /= total
    return np.clip((out - out.min()) / (out.max() - out.min() + 1e-6), 0, 1)


def _background(rng: np.random.Generator) -> np.ndarray:
    """The static scene, (HEIGHT, WIDTH + PAN, 3) uint8 RGB."""
    h, w = HEIGHT, WIDTH + PAN
    img = np.zeros((h, w, 3), np.float32)
    horizon = int(h * 0.42)
    # sky: vertical gradient with soft clouds
    t = np.linspace(0, 1, horizon, dtype=np.float32)[:, None]
    sky_top, sky_low = np.array([70, 120, 200], np.float32), np.array([185, 210, 235], np.float32)
    img[:horizon] = sky_top * (1 - t[..., None]) + sky_low * t[..., None]
    clouds = _value_noise(rng, horizon, w, octaves=(3, 6, 12))
    clouds = np.clip((clouds - 0.55) * 3.0, 0, 1)[..., None]
    img[:horizon] = img[:horizon] * (1 - 0.8 * clouds) + 245 * 0.8 * clouds
    # distant hills
    xs = np.arange(w, dtype=np.float32)
    ridge = horizon - 18 - 14 * np.sin(xs / 57.0 + 1.3) - 9 * np.sin(xs / 23.0)
    yy = np.arange(h, dtype=np.float32)[:, None]
    hills = (yy >= ridge[None, :]) & (yy < horizon)
    img[hills] = (95, 125, 105)
    # ground: grass texture with a darker gradient towards the viewer
    ground_noise = _value_noise(rng, h - horizon, w, octaves=(8, 16, 48, 96))
    g = np.linspace(0.85, 0.6, h - horizon, dtype=np.float32)[:, None, None]
    grass = np.stack([70 + 60 * ground_noise, 120 + 70 * ground_noise, 50 + 30 * ground_noise], -1)
    img[horizon:] = grass * g
    # a road across the lower part
    road_top, road_bottom = int(h * 0.74), int(h * 0.92)
    asphalt = _value_noise(rng, road_bottom - road_top, w, octaves=(32, 96))[..., None]
    img[road_top:road_bottom] = 78 + 30 * asphalt
    for x0 in range(0, w, 60):  # dashed centre line
        cy = (road_top + road_bottom) // 2
        img[cy - 1 : cy + 2, x0 : x0 + 30] = (225, 215, 150)
    img = np.clip(img, 0, 255).astype(np.uint8)
    # shapes: bushes, a bench, flower beds, a house
    for _ in range(9):
        cx = int(rng.integers(0, w))
        cy = int(rng.integers(horizon + 4, int(h * 0.72)))
        r = int(rng.integers(8, 20))
        colour = tuple(int(c) for c in rng.integers((20, 70, 20), (60, 120, 50)))
        cv2.circle(img, (cx, cy), r, colour, -1, cv2.LINE_AA)
        cv2.circle(img, (cx - r // 3, cy - r // 3), r // 2, tuple(min(255, c + 30) for c in colour), -1,
                   cv2.LINE_AA)
    for _ in range(25):
        cx = int(rng.integers(0, w))
        cy = int(rng.integers(int(h * 0.55), int(h * 0.73)))
        colour = tuple(int(c) for c in rng.choice([(230, 80, 90), (240, 220, 80), (250, 250, 250)]))
        cv2.circle(img, (cx, cy), 2, colour, -1, cv2.LINE_AA)
    hx = int(w * 0.70)
    cv2.rectangle(img, (hx, horizon - 44), (hx + 70, horizon + 6), (190, 160, 130), -1)
    cv2.fillPoly(img, [np.array([(hx - 8, horizon - 44), (hx + 35, horizon - 70), (hx + 78, horizon - 44)])],
                 (150, 60, 50), cv2.LINE_AA)
    cv2.rectangle(img, (hx + 10, horizon - 30), (hx + 26, horizon - 16), (90, 130, 170), -1)
    cv2.rectangle(img, (hx + 44, horizon - 30), (hx + 60, horizon - 16), (90, 130, 170), -1)
    cv2.rectangle(img, (hx + 29, horizon - 20), (hx + 41, horizon + 6), (100, 70, 50), -1)
    return cv2.GaussianBlur(img, (3, 3), 0.6)


def _ball_sprite(primary, secondary, stripes: int) -> np.ndarray:
    """A shaded ball with a star-and-stripes pattern: (SPRITE, SPRITE, 4) float32 RGBA in [0, 1]."""
    n = SPRITE
    c = (n - 1) / 2.0
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    dx, dy = (xx - c) / (n / 2), (yy - c) / (n / 2)
    r = np.sqrt(dx * dx + dy * dy)
    alpha = np.clip((1.0 - r) * n / 2, 0, 1)  # one sprite pixel of anti-aliasing at the rim
    z = np.sqrt(np.clip(1 - r * r, 0, 1))
    theta = np.arctan2(dy, dx)
    # pattern: stripes around the ball plus a five-pointed star in the middle
    pattern = (np.sin(stripes * np.arcsin(np.clip(dy, -1, 1))) > 0).astype(np.float32)
    star_r = 0.42 * (0.6 + 0.4 * np.cos(5 * theta))
    star = (r < star_r).astype(np.float32)
    rgb = np.where(pattern[..., None] > 0, np.array(primary, np.float32), np.array(secondary, np.float32))
    rgb = np.where(star[..., None] > 0, np.array((245, 245, 240), np.float32), rgb)
    # Lambert shading with a highlight, light from the upper left
    light = np.array([-0.45, -0.55, 0.7], np.float32)
    light /= np.linalg.norm(light)
    lambert = np.clip(dx * light[0] + dy * light[1] + z * light[2], 0, 1)
    shade = 0.35 + 0.65 * lambert
    spec = np.clip(lambert, 0, 1) ** 30 * 120
    rgb = np.clip(rgb * shade[..., None] + spec[..., None], 0, 255) / 255.0
    return np.dstack([rgb, alpha]).astype(np.float32)


def _car_sprite() -> np.ndarray:
    """A toy car seen from the side, facing left: (SPRITE//2, SPRITE, 4) float32 RGBA in [0, 1]."""
    w, h = SPRITE, SPRITE // 2
    ss = 4  # draw at 4x and downsample for anti-aliasing
    big = np.zeros((h * ss, w * ss, 4), np.uint8)
    s = lambda v: int(round(v * ss))  # noqa: E731
    body = (30, 90, 210, 255)
    cv2.rectangle(big, (s(4), s(44)), (s(188), s(78)), body, -1)  # lower body
    cv2.fillPoly(big, [np.array([(s(40), s(46)), (s(62), s(12)), (s(132), s(12)), (s(160), s(46))])], body)
    cv2.fillPoly(big, [np.array([(s(50), s(44)), (s(67), s(18)), (s(94), s(18)), (s(94), s(44))])],
                 (200, 230, 250, 255))  # windows
    cv2.fillPoly(big, [np.array([(s(100), s(44)), (s(100), s(18)), (s(128), s(18)), (s(150), s(44))])],
                 (200, 230, 250, 255))
    for x0 in range(8, 184, 16):  # a checkered racing stripe
        colour = (250, 250, 250, 255) if (x0 // 16) % 2 == 0 else (20, 20, 20, 255)
        cv2.rectangle(big, (s(x0), s(56)), (s(x0 + 16), s(64)), colour, -1)
    cv2.rectangle(big, (s(176), s(48)), (s(188), s(56)), (255, 230, 90, 255), -1)  # headlight
    cv2.rectangle(big, (s(4), s(48)), (s(12), s(56)), (220, 40, 40, 255), -1)  # tail light
    for cx in (46, 146):
        cv2.circle(big, (s(cx), s(78)), s(17), (25, 25, 25, 255), -1)
        cv2.circle(big, (s(cx), s(78)), s(8), (180, 180, 185, 255), -1)
    big = np.ascontiguousarray(big[:, ::-1])  # drawn facing right, drives to the left
    small = cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    # the wheels reach the bottom edge (95 of 96 rows), so the sprite's extent is the car's box
    return small


def _lamp_post_sprite() -> tuple[np.ndarray, int]:
    """The foreground lamp post as a full-frame RGBA layer and its x position in the frame."""
    layer = np.zeros((HEIGHT, WIDTH, 4), np.float32)
    x = 214
    cv2.rectangle(layer, (x, 20), (x + 11, HEIGHT - 1), (0.22, 0.22, 0.25, 1.0), -1)
    cv2.rectangle(layer, (x + 2, 20), (x + 4, HEIGHT - 1), (0.42, 0.42, 0.46, 1.0), -1)
    cv2.rectangle(layer, (x - 14, 12), (x + 26, 22), (0.18, 0.18, 0.2, 1.0), -1)
    cv2.rectangle(layer, (x - 10, 22), (x + 22, 26), (1.0, 0.95, 0.7, 1.0), -1)
    return layer, x


@lru_cache(maxsize=1)
def _assets(seed: int = SEED) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "background": _background(rng),
        "ball": _ball_sprite((225, 60, 40), (250, 170, 40), stripes=5),
        "distractor": _ball_sprite((200, 70, 60), (240, 185, 70), stripes=4),
        "car": _car_sprite(),
        "post": _lamp_post_sprite()[0],
        "noise_seed": int(rng.integers(0, 2**31 - 1)),
    }


# ---------------------------------------------------------------------------------------------
# motion


def ball_placement(k: int) -> Placement:
    """The main object on frame k: a curved path from the back-left to the front-right and back."""
    t = k / (FRAMES - 1)
    cx = 70 + 330 * t + 35 * math.sin(2 * math.pi * 1.3 * t)
    cy = 120 + 55 * math.sin(math.pi * t) + 18 * math.sin(2 * math.pi * 2.1 * t + 0.4)
    d = 26 + 30 * math.sin(math.pi * min(1.0, t * 1.15))  # grows as it comes closer, then shrinks
    return Placement(cx - d / 2, cy - d / 2, d, d, angle=-540.0 * t)


def distractor_placement(k: int) -> Placement:
    """A look-alike ball rolling the other way, passing the main ball around frame 95."""
    t = k / (FRAMES - 1)
    cx = 430 - 300 * t
    cy = 150 + 22 * math.sin(2 * math.pi * 0.8 * t + 1.0)
    d = 34 + 6 * math.sin(2 * math.pi * t)
    return Placement(cx - d / 2, cy - d / 2, d, d, angle=400.0 * t)


def car_placement(k: int) -> Placement:
    """The second object: a toy car driving right to left along the road, gently bouncing."""
    t = k / (FRAMES - 1)
    w = 92 + 10 * t
    h = w / 2
    cx = 420 - 350 * t + 12 * math.sin(2 * math.pi * 0.7 * t)
    bottom = 238 + 1.2 * math.sin(2 * math.pi * 6 * t)
    return Placement(cx - w / 2, bottom - h, w, h)


def camera_offset(k: int) -> float:
    """The horizontal pan of the camera over the background, in pixels (sub-pixel)."""
    return PAN * 0.5 * (1 - math.cos(math.pi * k / (FRAMES - 1)))


# ---------------------------------------------------------------------------------------------
# rendering


def _composite(frame: np.ndarray, sprite: np.ndarray, place: Placement) -> None:
    """Warp an RGBA sprite onto ``frame`` (float32 RGB 0..1) so its extent fills ``place``."""
    sh, sw = sprite.shape[:2]
    sx, sy = place.w / sw, place.h / sh
    # map sprite pixel centres to frame pixel centres: the sprite's [0, sw] edge span onto [x, x+w]
    a = math.radians(place.angle)
    cos_a, sin_a = math.cos(a), math.sin(a)
    # affine: frame = R * S * (p - sprite_centre) + box_centre, pixel centres at +0.5
    cxs, cys = sw / 2, sh / 2
    bcx, bcy = place.x + place.w / 2, place.y + place.h / 2
    m = np.array([[cos_a * sx, -sin_a * sy], [sin_a * sx, cos_a * sy]], np.float64)
    offset = np.array([bcx, bcy]) - m @ np.array([cxs, cys]) - 0.5 + m @ np.array([0.5, 0.5])
    mat = np.hstack([m, offset[:, None]])
    warped = cv2.warpAffine(sprite, mat, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    alpha = warped[..., 3:4]
    frame *= 1 - alpha
    frame += warped[..., :3] * alpha


def _shadow(frame: np.ndarray, place: Placement, ground_y: float, strength: float = 0.35) -> None:
    """A soft elliptical shadow under an object."""
    layer = np.zeros((HEIGHT, WIDTH), np.float32)
    cx = place.x + place.w / 2
    cv2.ellipse(layer, (int(round(cx * 4)), int(round(ground_y * 4))),
                (max(1, int(place.w * 0.45 * 4)), max(1, int(place.w * 0.10 * 4))), 0, 0, 360, 1.0, -1,
                cv2.LINE_AA, shift=2)
    layer = cv2.GaussianBlur(layer, (0, 0), 2.0)
    frame *= 1 - strength * layer[..., None]


def render_frame(k: int) -> tuple[np.ndarray, dict[str, Placement]]:
    """Render frame ``k`` (0-based): returns (RGB uint8 (HEIGHT, WIDTH, 3), {"ball", "car": Placement})."""
    if not 0 <= k < FRAMES:
        raise IndexError(f"frame {k} out of range 0..{FRAMES - 1}")
    assets = _assets()
    off = camera_offset(k)
    pan = np.array([[1, 0, -off], [0, 1, 0]], np.float64)
    frame = cv2.warpAffine(assets["background"], pan, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REFLECT).astype(np.float32) / 255.0
    ball, distractor, car = ball_placement(k), distractor_placement(k), car_placement(k)
    # shadows, then objects back to front (by the bottom edge), then the foreground post
    for place in (ball, distractor):
        _shadow(frame, place, place.y + place.h * 1.02)
    _shadow(frame, car, car.y + car.h, strength=0.45)
    layers = sorted([(ball.y + ball.h, "ball", ball), (distractor.y + distractor.h, "distractor", distractor),
                     (car.y + car.h, "car", car)], key=lambda item: item[0])
    for _, name, place in layers:
        _composite(frame, assets[name], place)
    post = assets["post"]
    frame *= 1 - post[..., 3:4]
    frame += post[..., :3] * post[..., 3:4]
    # slow illumination drift (a cloud passing) and a little sensor noise
    gain = 1.0 - 0.12 * math.exp(-(((k - 110) / 18.0) ** 2))
    frame *= gain
    noise = np.random.default_rng(assets["noise_seed"] + k).normal(0, 1.2 / 255, frame.shape)
    frame += noise.astype(np.float32)
    out = np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8)
    return out, {"ball": ball, "car": car}


def write_groundtruth(path: Path, boxes: list[tuple[float, float, float, float]]) -> None:
    """One ``x,y,w,h`` line per frame, 0-based pixels, 3 decimals."""
    sys.path.insert(0, str(REPO))
    from tracker.atomic import atomic_write_text

    text = "".join(",".join(f"{v:.3f}" for v in box) + "\n" for box in boxes)
    atomic_write_text(path, text)


VIDEO_CRF = 24  # constant quality for VP9 / H.264: close to the old mp4v clip's fidelity, about as small


def render(out_dir: Path = DEFAULT_OUT) -> str:
    """Render the whole clip and its ground truth into ``out_dir``; returns the codec used."""
    sys.path.insert(0, str(REPO))
    from tracker.video_writer import CheckedVideoWriter, VideoWriteError, candidates_for

    out_dir.mkdir(parents=True, exist_ok=True)
    video_path = out_dir / "sample.mp4"
    tmp_path = out_dir / ".sample.tmp.mp4"
    main_boxes, car_boxes = [], []
    try:
        writer = CheckedVideoWriter(tmp_path, candidates_for(video_path), FPS, (WIDTH, HEIGHT),
                                    shown_as=video_path, crf=VIDEO_CRF)
        try:
            for k in range(FRAMES):
                frame, places = render_frame(k)
                writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
                main_boxes.append(places["ball"].as_tuple())
                car_boxes.append(places["car"].as_tuple())
            writer.finish()
        except BaseException:
            writer.abort()
            raise
    except VideoWriteError as e:
        raise SystemExit(f"error: {e}") from None
    tmp_path.replace(video_path)
    write_groundtruth(out_dir / MAIN_GT, main_boxes)
    write_groundtruth(out_dir / SECOND_GT, car_boxes)
    if not writer.codec.browser:
        print(f"note: {video_path}: OpenCV here has no H.264 or VP9 encoder; written as {writer.codec}, "
              "which browsers do not play", file=sys.stderr)
    return str(writer.codec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    codec = render(args.out)
    print(f"wrote {args.out / 'sample.mp4'} ({FRAMES} frames, {WIDTH}x{HEIGHT} at {FPS:g} fps, {codec})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
