"""Recovery files: the autosaved state of an open document, so a crash loses nothing (Qt-free).

One recovery file per document, named after a hash of the document's identity (its project
file once saved, else its video). It holds the project plus where it came from. It is written
atomically after every committed edit, deleted on a clean save or a deliberate discard, and so
exists after a crash. The project file itself is never touched by autosave.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from tracker.atomic import atomic_write_text, clean_stale_siblings
from tracker.json_input import JSONInputError, parse_json
from tracker.project import Project, ProjectError, project_from_dict, project_to_dict

__all__ = ["RecoveryInfo", "RecoveryStore"]

SCHEMA = "memtrack-recovery"
VERSION = 1


@dataclass(frozen=True)
class RecoveryInfo:
    path: Path  # the recovery file
    saved_at: float  # unix time of the autosave
    project_path: Path | None  # the document's project file, None if never saved
    video_path: Path

    def newer_than_project(self) -> bool:
        """True when the recovery holds work the project file lacks (or there is no project file)."""
        if self.project_path is None or not self.project_path.exists():
            return True
        return self.saved_at > self.project_path.stat().st_mtime

    @property
    def describe(self) -> str:
        name = self.project_path.name if self.project_path else self.video_path.name
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.saved_at))
        return f"{name} (autosaved {when})"


def _identity(project_path: Path | None, video_path: Path) -> str:
    key = str((project_path or video_path).resolve())
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


class RecoveryStore:
    """Recovery files in one folder (the app's data folder; tests use tmp_path)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def path_for(self, project_path: Path | None, video_path: Path) -> Path:
        return self.folder / f"{_identity(project_path, video_path)}.recovery.json"

    def write(self, project: Project, project_path: Path | None, video_path: Path) -> Path:
        """Autosave; the video path is stored absolute so the file is usable from anywhere."""
        path = self.path_for(project_path, video_path)
        data = {
            "schema": SCHEMA,
            "version": VERSION,
            "saved_at": time.time(),
            "project_path": str(project_path.resolve()) if project_path else None,
            "video_path": str(video_path.resolve()),
            "project": project_to_dict(project, None),
        }
        data["project"]["video"]["path"] = str(video_path.resolve())
        clean_stale_siblings(path)  # temporaries of autosaves killed midway (the folder is small)
        atomic_write_text(path, json.dumps(data) + "\n")
        return path

    def _info(self, path: Path) -> RecoveryInfo | None:
        try:
            data = parse_json(path.read_text(encoding="utf-8"))
            if data.get("schema") != SCHEMA:
                return None
            pp = data.get("project_path")
            saved_at = float(data["saved_at"])
            if not (isinstance(pp, (str, type(None))) and isinstance(data["video_path"], str)
                    and math.isfinite(saved_at)):
                return None
            return RecoveryInfo(path, saved_at, Path(pp) if pp else None, Path(data["video_path"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, OverflowError):
            return None  # a damaged recovery file is not offered (and not deleted: it is user data)

    def find(self, project_path: Path | None, video_path: Path) -> RecoveryInfo | None:
        path = self.path_for(project_path, video_path)
        return self._info(path) if path.exists() else None

    def all(self) -> list[RecoveryInfo]:
        """Every readable recovery file, newest first."""
        if not self.folder.is_dir():
            return []
        infos = [i for p in self.folder.glob("*.recovery.json") if (i := self._info(p)) is not None]
        return sorted(infos, key=lambda i: i.saved_at, reverse=True)

    def load(self, info: RecoveryInfo) -> Project:
        try:
            data = parse_json(info.path.read_text(encoding="utf-8"))
        except JSONInputError as e:
            raise ProjectError(f"{info.path}: {e}") from None
        except (OSError, ValueError) as e:
            raise ProjectError(f"{info.path}: cannot read recovery file: {e}") from None
        if not isinstance(data, dict):
            raise ProjectError(f"{info.path}: not a recovery file")
        return project_from_dict(data.get("project"), info.path)

    def discard(self, project_path: Path | None, video_path: Path) -> None:
        try:
            self.path_for(project_path, video_path).unlink()
        except FileNotFoundError:
            pass
