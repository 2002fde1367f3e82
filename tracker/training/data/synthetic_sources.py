"""Where synthetic video comes from: photographs (backgrounds and the targets cut from them) and
real video clips (their camera motion), loaded once into picklable pools. Part of the synthetic
training data (`tracker.training.data.synthetic`)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

from .sequences import DatasetError

__all__ = ["DEFAULT_IMAGE_DIRS", "DEFAULT_VIDEO_FILES", "IMAGE_SUFFIXES", "MIN_TARGET_TEXTURE", "PhotoPool",
           "VideoPool", "find_images"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
# Where scripts/install_training_images.sh puts photographs (Debian packages gnome-backgrounds,
# mate-backgrounds, plasma-workspace-wallpapers, desktop-base); real clips from opencv-doc.
# (opencv-doc's examples/data holds a few photographs too, but mostly chessboard calibration shots.)
DEFAULT_IMAGE_DIRS = ("/usr/share/backgrounds", "/usr/share/wallpapers", "/usr/share/desktop-base")
MIN_TARGET_TEXTURE = 6.0  # mean |Laplacian| of a target's cut, grey levels
DEFAULT_VIDEO_FILES = tuple(f"/usr/share/doc/opencv-doc/examples/data/{n}"
                            for n in ("vtest.avi", "tree.avi", "Megamind.avi"))


def find_images(folders: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Image files (jpg, jpeg, png, webp, bmp) under one or more folders, recursively, sorted;
    symlinks are followed and files reached twice are listed once. Missing folders are an error
    only when none of them exists."""
    if isinstance(folders, (str, os.PathLike)):
        folders = [folders]
    folders = [Path(f) for f in folders]
    existing = [f for f in folders if f.is_dir()]
    if not existing:
        raise DatasetError(f"{', '.join(map(str, folders))}: no such folder")
    seen, out = set(), []
    for folder in existing:
        for root, _, files in os.walk(folder, followlinks=True):
            for name in files:
                if name.lower().endswith(IMAGE_SUFFIXES):
                    path = Path(root) / name
                    real = os.path.realpath(path)
                    if real not in seen:
                        seen.add(real)
                        out.append(path)
    return sorted(out)


def _texture_score(image: np.ndarray) -> float:
    """Fraction of 16x16 blocks (of a 256-wide copy) whose grey level varies: flat logos and plain
    gradients score low, photographs high."""
    small = cv2.resize(image, (256, 160), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    blocks = grey.reshape(10, 16, 16, 16).transpose(0, 2, 1, 3).reshape(160, 256)
    return float((blocks.std(axis=1) > 6.0).mean())


def _average_hash(image: np.ndarray) -> bytes:
    grey = cv2.resize(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), (16, 16), interpolation=cv2.INTER_AREA)
    return (grey > grey.mean()).tobytes()


def _load_scaled(path: Path, max_side: int) -> np.ndarray | None:
    """Decode at most about ``max_side`` on the long side (JPEG decodes at 1/2..1/8 directly)."""
    flags = cv2.IMREAD_COLOR
    try:
        if path.suffix.lower() in (".jpg", ".jpeg"):
            # probe the size cheaply at 1/8, then pick the largest reduction that keeps max_side
            probe = cv2.imread(str(path), cv2.IMREAD_REDUCED_COLOR_8)
            if probe is None:
                return None
            long_side = max(probe.shape[:2]) * 8
            for factor, flag in ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
                                 (2, cv2.IMREAD_REDUCED_COLOR_2)):
                if long_side / factor >= max_side:
                    flags = flag
                    break
        image = cv2.imread(str(path), flags)
    except cv2.error:
        return None
    if image is None or image.ndim != 3:
        return None
    scale = max_side / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


class PhotoPool:
    """Photographs held in memory at a working size (RGB uint8), shared by all synthetic sequences."""

    def __init__(self, images: list[np.ndarray], names: list[str]):
        if not images:
            raise DatasetError("no usable photographs")
        self.images = images
        self.names = names

    def __len__(self) -> int:
        return len(self.images)

    def split(self, fraction: float, seed: int = 0) -> tuple["PhotoPool", "PhotoPool"]:
        """Two pools with disjoint photographs, the second holding about ``fraction`` of them (at least
        one each): e.g. training and validation sequences that share no picture."""
        if len(self) < 2:
            raise DatasetError(f"cannot split {len(self)} photograph(s) into two pools")
        order = np.random.default_rng(seed).permutation(len(self))
        cut = min(len(self) - 1, max(1, round(len(self) * fraction)))
        rest, held = sorted(order[cut:].tolist()), sorted(order[:cut].tolist())
        return (PhotoPool([self.images[i] for i in rest], [self.names[i] for i in rest]),
                PhotoPool([self.images[i] for i in held], [self.names[i] for i in held]))

    @classmethod
    def from_folders(cls, folders: str | os.PathLike | Iterable[str | os.PathLike], max_side: int = 720,
                     min_side: int = 160, min_texture: float = 0.35, dedupe: bool = True,
                     progress: bool = False) -> "PhotoPool":
        """Load every image under ``folders`` (see :func:`find_images`) at most ``max_side`` pixels on
        its long side, skipping images smaller than ``min_side``, flat ones (texture score below
        ``min_texture``: logos, plain gradients) and, with ``dedupe``, copies of the same picture at
        other resolutions. Raises DatasetError naming the folders when nothing usable remains."""
        paths = find_images(folders)
        images, names, hashes = [], [], set()
        iterator: Iterable[Path] = paths
        if progress:
            from tqdm import tqdm

            iterator = tqdm(paths, desc="loading photographs", unit="img")
        for path in iterator:
            image = _load_scaled(path, max_side)
            if image is None or min(image.shape[:2]) < min_side:
                continue
            if _texture_score(image) < min_texture:
                continue
            if dedupe:
                key = _average_hash(image)
                if key in hashes:
                    continue
                hashes.add(key)
            images.append(image)
            names.append(str(path))
        if not images:
            where = folders if isinstance(folders, (str, os.PathLike)) else ", ".join(map(str, folders))
            raise DatasetError(f"{where}: found {len(paths)} image files but none usable as a photograph "
                               f"(at least {min_side} px, textured)")
        return cls(images, names)


class VideoPool:
    """Frames of real videos, JPEG-encoded in memory at a working width, for moving backgrounds."""

    def __init__(self, videos: list[list[bytes]], names: list[str]):
        self.videos = videos
        self.names = names
        self._cache: dict[tuple[int, int], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.videos)

    @classmethod
    def from_files(cls, paths: Iterable[str | os.PathLike], width: int = 480, max_frames: int = 900,
                   quality: int = 92) -> "VideoPool":
        """Decode each video once (at most ``max_frames`` frames), resize to ``width``, keep JPEG bytes.
        Missing or unreadable files are skipped; raises DatasetError when none can be read."""
        videos, names = [], []
        for path in paths:
            cap = cv2.VideoCapture(str(path))
            frames = []
            while cap.isOpened() and len(frames) < max_frames:
                ok, frame = cap.read()
                if not ok:
                    break
                scale = width / frame.shape[1]
                frame = cv2.resize(frame, (width, round(frame.shape[0] * scale)), interpolation=cv2.INTER_AREA)
                frames.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes())
            cap.release()
            if len(frames) >= 10:
                videos.append(frames)
                names.append(str(path))
        if not videos:
            raise DatasetError(f"{', '.join(map(str, paths))}: no readable video")
        return cls(videos, names)

    def frame(self, video: int, index: int) -> np.ndarray:
        data = self.videos[video][index]
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    def __getstate__(self) -> dict:
        return {"videos": self.videos, "names": self.names, "_cache": {}}
