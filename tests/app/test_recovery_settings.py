"""Recovery files and settings (Qt-free parts, plus the QSettings round trip in tmp_path)."""
from __future__ import annotations

import os
import time

import pytest

from app.core import edits
from app.core.recovery import RecoveryStore
from app.core.settings import AppSettings, SettingsError
from tracker.project import Project, VideoRef, save_project
from tracker.types import Box


def test_recovery_round_trip_and_newer_than_project(tmp_path):
    rec = RecoveryStore(tmp_path / "rec")
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"x")
    p = Project(VideoRef(str(video), 50, 160, 120, 25.0))
    cmd, tid = edits.add_object(p, frame=3, box=Box(1, 2, 3, 4))
    from app.core.store import AnnotationStore

    AnnotationStore(p).execute(cmd)
    assert rec.find(None, video) is None
    rec.write(p, None, video)
    info = rec.find(None, video)
    assert info is not None and info.project_path is None and info.newer_than_project()
    loaded = rec.load(info)
    assert loaded.objects[tid].box_at(3) == Box(1, 2, 3, 4) and loaded.video.path == str(video.resolve())
    # once a project file newer than the autosave exists, the recovery is not offered
    project_file = tmp_path / "clip.json"
    rec.write(p, project_file, video)
    save_project(project_file, p)
    os.utime(project_file, (time.time() + 5, time.time() + 5))
    assert not rec.find(project_file, video).newer_than_project()
    assert [i.project_path for i in rec.all()] == [project_file.resolve(), None]
    rec.discard(None, video)
    assert rec.find(None, video) is None


def test_damaged_recovery_file_is_ignored_not_deleted(tmp_path):
    rec = RecoveryStore(tmp_path)
    bad = tmp_path / "0123.recovery.json"
    bad.write_text("{not json")
    assert rec.all() == [] and bad.exists()


def test_settings_validation_and_unknown_keys():
    s = AppSettings.from_mapping({"confidence_threshold": "0.4", "auto_pause": "false", "track_frames": "7"})
    assert (s.confidence_threshold, s.auto_pause, s.track_frames) == (0.4, False, 7)
    with pytest.raises(SettingsError, match="unknown setting"):
        AppSettings.from_mapping({"confidence_treshold": 0.4})
    with pytest.raises(SettingsError, match="device"):
        AppSettings(device="tpu")
    with pytest.raises(SettingsError, match="confidence_threshold"):
        AppSettings(confidence_threshold=2.0)
    assert AppSettings().threads == "auto" and AppSettings.from_mapping({"threads": "3"}).threads == "3"
    with pytest.raises(SettingsError, match="threads"):
        AppSettings(threads="0")


def test_settings_persist_through_qsettings(tmp_path, qapp):
    from app.qt_settings import SettingsStore

    store = SettingsStore(str(tmp_path / "s.ini"))
    assert store.load() == AppSettings()
    changed = AppSettings(confidence_threshold=0.55, device="cpu", last_folder="/videos", follow=False,
                          shortcuts={"track_forward": "G"})
    store.save(changed)
    assert SettingsStore(str(tmp_path / "s.ini")).load() == changed
    store.qsettings.setValue("device", "quantum")  # a damaged value falls back to its default only
    store.qsettings.sync()
    again = SettingsStore(str(tmp_path / "s.ini")).load()
    assert again.device == "auto" and again.confidence_threshold == 0.55


def test_only_changed_settings_are_stored_so_new_defaults_reach_users(tmp_path, qapp):
    from app.qt_settings import SettingsStore

    store = SettingsStore(str(tmp_path / "s.ini"))
    store.save(AppSettings(device="cpu"))
    assert store.qsettings.allKeys() == ["device"]
    store.save(AppSettings(device="auto"))  # back to the default: the key goes
    assert store.qsettings.allKeys() == []
    # what is not stored comes from the running version's defaults: a default that a later version
    # changes (the correction strategy, say) reaches a user who never chose one
    store.save(AppSettings(two_sided_fill=False))
    assert "correction_strategy" not in store.qsettings.allKeys()
    loaded = SettingsStore(str(tmp_path / "s.ini")).load()
    assert loaded == AppSettings(two_sided_fill=False)
