"""Benchmark datasets on disk: OTB, GOT-10k (val) and LaSOT layouts, found automatically or by name.

Layouts (one folder per sequence; a dataset root holds sequence folders, or is one itself):

- ``otb``:    ``<Seq>/img/*.jpg`` and ``<Seq>/groundtruth_rect.txt``, 1-based ``x,y,w,h``. A sequence with
  several targets (``groundtruth_rect.1.txt``, ``groundtruth_rect.2.txt``) becomes ``<Seq>.1``, ``<Seq>.2``.
- ``got10k``: ``<Seq>/*.jpg`` and ``<Seq>/groundtruth.txt`` (images beside the file), 0-based.
- ``lasot``:  ``<cls>/<cls>-N/img/*.jpg`` and ``<cls>-N/groundtruth.txt``, 1-based. A root of class folders or
  a flat folder of ``<cls>-N`` sequences both work.

Ground truth rows are four numbers separated by commas, tabs or spaces. A row of NaN, or one whose width or
height is zero or negative, means "target absent" and is kept as ``None`` (the metrics skip those frames).
Boxes are converted at this edge to the code's one convention, 0-based :class:`tracker.types.Box`: a 1-based
``x, y`` becomes ``x - 1, y - 1``. A malformed row raises :class:`DatasetError` naming the file and the line;
:func:`load_dataset` turns it into a problem message for that sequence and loads the others.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..data_files import DatasetError, natural_key, read_groundtruth
from ..types import Box
from ..video import IMAGE_EXTENSIONS

__all__ = [
    "FORMATS",
    "DatasetError",
    "Sequence",
    "detect_format",
    "load_dataset",
    "parse_groundtruth",
]

FORMATS = ("otb", "got10k", "lasot")

# Per format: is the file 1-based (OTB and LaSOT come from MATLAB toolkits) or 0-based (GOT-10k).
_ONE_BASED = {"otb": True, "got10k": False, "lasot": True}


@dataclass(frozen=True)
class Sequence:
    """One evaluation sequence: frame image paths in order and one ground-truth entry per frame.

    ``groundtruth[i]`` is the 0-based box of frame ``i`` or ``None`` where the target is absent.
    Frame 0 always has a box (the tracker is initialised from it).
    """

    name: str
    frames: tuple[Path, ...]
    groundtruth: tuple[Box | None, ...]
    groundtruth_file: Path
    format: str
    note: str = ""  # e.g. "12 images past the last ground-truth row ignored"

    def __len__(self) -> int:
        return len(self.frames)


def _images_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()]
    return sorted(files, key=lambda p: natural_key(p.name))


def parse_groundtruth(path: Path, one_based: bool) -> list[Box | None]:
    """Read a ground-truth file (`tracker.data_files.read_groundtruth`, the one reader): 0-based boxes,
    ``None`` where the target is absent; DatasetError ``"<file>:<line>: ..."`` for a bad row."""
    return read_groundtruth(path, one_based)


# ---------------------------------------------------------------------------------------------- layouts


def _otb_gt_files(folder: Path) -> list[tuple[str, Path]]:
    """(name suffix, file) pairs of an OTB sequence folder: '' for groundtruth_rect.txt, '.1' ... for extras."""
    if not _images_in(folder / "img"):
        return []
    single = folder / "groundtruth_rect.txt"
    if single.is_file():
        return [("", single)]
    multi = sorted(folder.glob("groundtruth_rect.*.txt"), key=lambda p: natural_key(p.name))
    out = []
    for p in multi:
        tag = p.name[len("groundtruth_rect.") : -len(".txt")]
        if tag.isdigit():
            out.append((f".{tag}", p))
    return out


def _is_sequence(folder: Path, fmt: str) -> bool:
    if fmt == "otb":
        return bool(_otb_gt_files(folder))
    if fmt == "got10k":
        return (folder / "groundtruth.txt").is_file() and bool(_images_in(folder))
    if fmt == "lasot":
        return (folder / "groundtruth.txt").is_file() and bool(_images_in(folder / "img"))
    raise ValueError(fmt)


def _sequence_folders(root: Path, fmt: str) -> list[Path]:
    """Sequence folders of ``fmt`` under root: root itself, its children, or (LaSOT) its grandchildren."""
    if _is_sequence(root, fmt):
        return [root]
    children = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: natural_key(p.name))
    found = [c for c in children if _is_sequence(c, fmt)]
    if fmt == "lasot":
        for c in children:
            if c in found:
                continue
            grand = sorted((p for p in c.iterdir() if p.is_dir()), key=lambda p: natural_key(p.name))
            found.extend(g for g in grand if _is_sequence(g, fmt))
    return found


def detect_format(root: Path) -> str:
    """The layout of the dataset at ``root`` (the one with most sequence folders); DatasetError if none fits."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: no such folder")
    counts = {fmt: len(_sequence_folders(root, fmt)) for fmt in FORMATS}
    best = max(FORMATS, key=lambda f: counts[f])
    if counts[best] == 0:
        raise DatasetError(
            f"{root}: no sequences found in OTB (<seq>/img + groundtruth_rect.txt), GOT-10k "
            f"(<seq>/*.jpg + groundtruth.txt) or LaSOT (<cls>/<cls>-N/img + groundtruth.txt) layout"
        )
    return best


def _load_sequence(name: str, folder: Path, gt_file: Path, fmt: str) -> Sequence:
    frames = _images_in(folder / "img" if fmt in ("otb", "lasot") else folder)
    gt = parse_groundtruth(gt_file, _ONE_BASED[fmt])
    if gt[0] is None:
        raise DatasetError(f"{gt_file}:1: the first frame has no box, so the tracker cannot be initialised")
    note = ""
    if len(gt) > len(frames):
        raise DatasetError(
            f"{gt_file}: {len(gt)} ground-truth rows but only {len(frames)} images in {frames[0].parent}"
        )
    if len(gt) < len(frames):
        # OTB ships a few sequences with more images than annotated frames (Football1: 81 vs 74);
        # the toolkit evaluates the annotated ones.
        note = f"{len(frames) - len(gt)} images past the last ground-truth row are not evaluated"
        frames = frames[: len(gt)]
    return Sequence(name, tuple(frames), tuple(gt), gt_file, fmt, note)


def load_dataset(
    root: str | Path, fmt: str = "auto", names: list[str] | None = None
) -> tuple[list[Sequence], list[str]]:
    """Load every sequence of the dataset at ``root``.

    ``fmt`` is "auto" or one of FORMATS. ``names`` keeps only those sequences (in the given order);
    a name that is not there is a DatasetError. Returns ``(sequences, problems)``: a sequence whose
    ground truth is malformed is left out and its message (file and line) is in ``problems``.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: no such folder")
    if fmt == "auto":
        fmt = detect_format(root)
    elif fmt not in FORMATS:
        raise DatasetError(f"unknown dataset format {fmt!r}; choose auto, {', '.join(FORMATS)}")
    entries: list[tuple[str, Path, Path]] = []
    for folder in _sequence_folders(root, fmt):
        if fmt == "otb":
            entries.extend((folder.name + suffix, folder, gt) for suffix, gt in _otb_gt_files(folder))
        else:
            entries.append((folder.name, folder, folder / "groundtruth.txt"))
    if not entries:
        raise DatasetError(f"{root}: no sequences in {fmt} layout")
    if names is not None:
        by_name = {e[0]: e for e in entries}
        missing = [n for n in names if n not in by_name]
        if missing:
            known = list(by_name)
            shown = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
            raise DatasetError(f"{root}: no sequence named {', '.join(missing)} (there are: {shown})")
        entries = [by_name[n] for n in names]
    sequences, problems = [], []
    for name, folder, gt_file in entries:
        try:
            sequences.append(_load_sequence(name, folder, gt_file, fmt))
        except DatasetError as e:
            problems.append(str(e))
    return sequences, problems
