"""A seeded fuzz pass (hypothesis, derandomized, bounded) over every importer and the project loader.

Each example starts from a valid file this program wrote, damages it (a truncation, flipped bytes,
an inserted piece of hostile text: deep nesting, a 5000-digit or out-of-range number, NaN, a NUL,
a newline, an entity declaration, a non-UTF-8 byte) and reads it back. The result must be either a
valid project (one that saves and loads again) or one FormatError / ProjectError line naming the
file, never another exception and never a hang; and no existing file may change.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.robustness.support import small_project, snapshot, write_frames
from tracker.formats import FOLDER_FORMATS, FormatError, export_project, import_annotations
from tracker.project import ProjectError, load_project, project_from_dict, project_to_dict

HOSTILE = [b"[" * 3000, b"{\"a\":" * 3000, b"9" * 5000, b"1e999", b"-1e308", b"NaN", b"\x00", b"\n", b"\r\n",
           b"\xff\xfe", b"\xed\xa0\x80", b'<!DOCTYPE a [<!ENTITY x "y">]>', b"&#0;", b"&#10;", b"<a>", b"\"",
           b",", b"true", b"null", b"[]", b"{}", b"4294967296", b"-0", b"=cmd", "\u2028".encode()]
FUZZ = settings(max_examples=30, derandomize=True, deadline=None, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# importer name -> (export format used to make the valid input, the path to import, relative to it)
CASES = {
    "mot": ("mot", "."), "cvat": ("cvat", "."), "coco": ("coco", "."), "otb": ("otb", "."),
    "got10k": ("got10k", "."), "project": ("project", "."), "yolo": ("yolo", "."), "voc": ("voc", "."),
    "labelstudio": ("labelstudio", "."),
}
# the export options that make a seed the importer can read (YOLO needs its track id column)
OPTIONS = {"yolo": {"track_ids": True}, "labelstudio": {"media_url": "https://example.org/clip.webm"}}


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> Path:
    """The clip and one valid export per importer."""
    root = tmp_path_factory.mktemp("fuzz")
    clip = write_frames(root / "clip")
    project = small_project(str(clip))
    for fmt in CASES:
        out = root / "seeds" / fmt / ("export" if fmt in FOLDER_FORMATS else f"export.{fmt}")
        export_project(project, fmt, out, **OPTIONS.get(fmt, {}))
    return root


def mutated(data: bytes, draw) -> bytes:
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "insert", "replace_number"]))
    if kind == "truncate":
        return data[:draw(st.integers(0, max(len(data) - 1, 0)))]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            if out:
                out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
        return bytes(out)
    piece = draw(st.sampled_from(HOSTILE))
    if kind == "replace_number":
        digits = [i for i, b in enumerate(data) if 48 <= b <= 57]
        if digits:
            at = draw(st.sampled_from(digits))
            return data[:at] + piece + data[at + 1:]
    at = draw(st.integers(0, len(data)))
    return data[:at] + piece + data[at:]


def check_one(seeds: Path, case: Path, fmt: str, draw) -> None:
    files = sorted(p for p in case.rglob("*") if p.is_file())
    victim = draw(st.sampled_from(files))
    victim.write_bytes(mutated(victim.read_bytes(), draw))
    before = snapshot(case), snapshot(seeds / "clip")
    target = next(iter(sorted(case.iterdir())))
    try:
        project = import_annotations(target, fmt, None if fmt == "project" else seeds / "clip")
    except FormatError as e:
        message = str(e)
        assert "\n" not in message and "\r" not in message, repr(message)
        assert str(case) in message or str(seeds / "clip") in message, message
    else:
        project_from_dict(project_to_dict(project))  # a valid result is one the program can reopen
    assert (snapshot(case), snapshot(seeds / "clip")) == before


@pytest.mark.parametrize("fmt", list(CASES))
def test_fuzz_importer(seeds, fmt, tmp_path):
    @FUZZ
    @given(data=st.data())
    def run(data):
        case = tmp_path / "case"
        shutil.rmtree(case, ignore_errors=True)
        shutil.copytree(seeds / "seeds" / fmt, case)
        check_one(seeds, case, fmt, data.draw)

    run()


def test_fuzz_project_loader(seeds, tmp_path):
    original = (seeds / "seeds" / "project" / "export.project").read_bytes()

    @FUZZ
    @given(data=st.data())
    def run(data):
        path = tmp_path / "p.memtrack.json"
        path.write_bytes(mutated(original, data.draw))
        before = snapshot(tmp_path)
        try:
            load_project(path)
        except ProjectError as e:
            assert "\n" not in str(e) and str(e).startswith(str(path)), repr(str(e))
        assert snapshot(tmp_path) == before

    run()
