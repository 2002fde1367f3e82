"""Choosing sequences by name: the fixed train/validation split of the team's real training video, and
include/exclude lists for the ``train`` command.

A sequence matches a name when its own name (``otb/Jumping``) or its last path part (``Jumping``)
equals it. Lists are comma-separated names, a named split (``validation``), or ``@FILE`` with one
name per line (``#`` starts a comment).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence as SequenceType

from .sequences import DatasetError, Sequence

__all__ = ["EVALUATION_SET", "NAMED_SPLITS", "in_evaluation_set", "VALIDATION_SPLIT", "parse_names", "select_sequences", "sequence_matches"]

# ../shared/data/train/README.md: 8 validation sequences (1,437 frames); the other 38 are for training.
VALIDATION_SPLIT: tuple[str, ...] = ("Jumping", "Human7", "Surfer", "dtb_Animal3", "dtb_Gull2", "uav_group2_2",
                                     "uav_truck2", "uavdt_S1301")
NAMED_SPLITS: dict[str, tuple[str, ...]] = {"validation": VALIDATION_SPLIT}
# The team's evaluation set beside the checkout: never trained, tuned or selected on.
EVALUATION_SET = Path(__file__).resolve().parents[4] / "shared" / "data" / "sequences"


def in_evaluation_set(path: str | Path) -> bool:
    """Whether ``path`` is the evaluation set or lies inside it."""
    target, evaluation = Path(path).resolve(), EVALUATION_SET.resolve()
    return target == evaluation or evaluation in target.parents


def parse_names(text: str) -> tuple[str, ...]:
    """``A,B``, a named split, or ``@FILE``; raises DatasetError for an empty list or unreadable file."""
    text = text.strip()
    if text in NAMED_SPLITS:
        return NAMED_SPLITS[text]
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise DatasetError(f"{path}: cannot read the sequence list ({e.__class__.__name__}: {e})") from None
        names = tuple(n for n in (line.split("#", 1)[0].strip() for line in lines) if n)
    else:
        names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise DatasetError(f"{text!r}: names no sequence")
    return names


def sequence_matches(sequence: Sequence, name: str) -> bool:
    return sequence.name == name or sequence.name.rsplit("/", 1)[-1] == name


def select_sequences(sequences: SequenceType[Sequence], include: Iterable[str] | None = None,
                     exclude: Iterable[str] | None = None) -> list[Sequence]:
    """The sequences named in ``include`` (all when None) minus those named in ``exclude``.

    Every name must match at least one sequence, so a misspelt name is an error, not a silent no-op.
    """
    include = None if include is None else tuple(include)
    exclude = tuple(exclude or ())
    for name in (include or ()) + exclude:
        if not any(sequence_matches(s, name) for s in sequences):
            raise DatasetError(f"no sequence named {name!r} (have: "
                               f"{', '.join(s.name for s in sequences[:8])}{', ...' if len(sequences) > 8 else ''})")
    kept = [s for s in sequences
            if (include is None or any(sequence_matches(s, n) for n in include))
            and not any(sequence_matches(s, n) for n in exclude)]
    if not kept:
        raise DatasetError("the include/exclude lists leave no sequence")
    return kept
