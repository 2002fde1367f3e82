#!/usr/bin/env python3
"""Round trip through a real Label Studio: export, import through its REST API, read back, compare.

Label Studio answers HTTP 201 to tasks whose names or labels do not match the project's config and
then shows nothing, so a successful import proves little. This script checks what the page needs:

1. exports a project with ``export --format labelstudio --frames --media-url /data/local-files/?d=...``
   (default: the bundled sample clip with its two ground-truth tracks);
2. starts Label Studio on 127.0.0.1 (its own data folder, local-files serving of the export);
3. creates a project with the exported ``labeling_config.xml``, connects the export folder as a
   Local files storage and imports ``tasks.json`` through the API;
4. reads the tasks back (the JSON export) and checks every result's ``from_name``, ``to_name``, type
   and labels against the config Label Studio parsed, the player's frame rate, every box against the
   project (pixels), and that ``data.video`` downloads from the server as the video that was written;
5. imports a copy with a wrong ``from_name`` and unknown labels into a second project (a negative
   control: Label Studio accepts it) and checks that the comparison flags it;
6. stops the server.

Label Studio is not a dependency of this project; install it in a separate environment::

    python3 -m venv /tmp/lsvenv && /tmp/lsvenv/bin/pip install label-studio
    python bench/labelstudio_roundtrip.py --label-studio /tmp/lsvenv/bin/label-studio

It needs no display and no network beyond 127.0.0.1 (the server's version check is switched off).
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tracker.formats import export_project  # noqa: E402
from tracker.formats import coords  # noqa: E402
from tracker.project import BoxEntry, Project, Provenance, TrackObject, VideoRef, load_project  # noqa: E402
from tracker.types import Box  # noqa: E402
from tracker.video import open_source  # noqa: E402

SAMPLE = REPO / "resources" / "sample"


def sample_project() -> Project:
    """The bundled clip with its two ground-truth tracks (the ball, the car) as keyframes."""
    video = SAMPLE / "sample.mp4"
    with open_source(video) as src:
        ref = VideoRef(str(video), len(src), src.width, src.height, float(src.fps))
    project = Project(video=ref, labels=["ball", "car"])
    tracks = [("ball", "sample_groundtruth.txt", "#e6194b"), ("car", "sample_groundtruth_car.txt", "#3cb44b")]
    for track_id, (label, name, color) in enumerate(tracks, 1):
        obj = TrackObject(track_id, label, color)
        for frame, line in enumerate(x for x in (SAMPLE / name).read_text().splitlines() if x.strip()):
            obj.entries[frame] = BoxEntry(Box.parse(line), Provenance.KEYFRAME)
        project.objects[track_id] = obj
    return project


class LabelStudio:
    """A Label Studio server started for this run, bound to 127.0.0.1, stopped on exit."""

    def __init__(self, executable: str, port: int, data_dir: Path, document_root: Path, log: Path):
        self.base = f"http://127.0.0.1:{port}"
        self.token = secrets.token_hex(20)
        env = dict(os.environ, LATEST_VERSION_CHECK="false", LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED="true",
                   LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=str(document_root),
                   LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
                   LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true")
        self.log = log
        self._log_file = open(log, "wb")
        self.process = subprocess.Popen(
            [executable, "start", "--no-browser", "--internal-host", "127.0.0.1", "--host", self.base,
             "--port", str(port), "--data-dir", str(data_dir), "--username", "bench@example.org",
             "--password", secrets.token_hex(12), "--user-token", self.token, "--log-level", "WARNING"],
            env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.process.poll() is not None:
                raise SystemExit(f"Label Studio exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=5) as r:
                    if r.status == 200:
                        return time.monotonic() - start
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                pass
            time.sleep(2)
        raise SystemExit(f"Label Studio did not answer within {timeout:.0f} s; see {self.log}")

    def request(self, method: str, path: str, body=None, raw: bool = False):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": f"Token {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                payload = r.read()
                if raw:
                    return r.status, r.headers.get("Content-Type", ""), payload
                return json.loads(payload or b"null")
        except urllib.error.HTTPError as e:
            raise SystemExit(f"{method} {path}: HTTP {e.code}: {e.read()[:300]!r}") from None

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log_file.close()


def listening_addresses(port: int) -> list[str]:
    """The local addresses a socket listens on at ``port`` (Linux /proc; empty elsewhere)."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if width == 8:
                    found.append(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
                else:
                    found.append("::" if int(address, 16) == 0 else address)
    return found


def compare(project: Project, tasks: list, parsed: dict, frame_size: tuple[int, int]) -> dict:
    """Check the read-back results against the config Label Studio parsed and against the project."""
    width, height = frame_size
    results = [r for t in tasks for a in t.get("annotations", []) for r in a.get("result", [])]
    problems = []
    label_sets = {name: set(c.get("labels", [])) for name, c in parsed.items() if c.get("type") == "Labels"}
    worst, boxes, frames_shown = 0.0, 0, set()
    for r in results:
        control = parsed.get(r.get("from_name"))
        if control is None or control.get("type") != "VideoRectangle":
            problems.append(f"{r.get('id')}: from_name {r.get('from_name')!r} is no VideoRectangle "
                            "of the config")
            continue
        if r.get("to_name") not in control.get("to_name", []):
            problems.append(f"{r.get('id')}: to_name {r.get('to_name')!r} is not the tool's video")
        if r.get("type") != "videorectangle":
            problems.append(f"{r.get('id')}: type {r.get('type')!r}")
        allowed = set().union(*(s for n, s in label_sets.items()
                                if r.get("to_name") in parsed[n].get("to_name", [])))
        unknown = set(r["value"].get("labels", [])) - allowed
        if unknown:
            problems.append(f"{r.get('id')}: labels {sorted(unknown)} are not in the config")
        obj = project.objects[int(str(r["id"]).removeprefix("track"))]
        for item in r["value"]["sequence"]:
            frame = coords.from_labelstudio_frame(item["frame"])
            got = coords.from_labelstudio(item["x"], item["y"], item["width"], item["height"], width, height)
            want = obj.entries[frame].box
            worst = max(worst, *(abs(a - b) for a, b in zip(got.as_tuple(), want.as_tuple())))
            boxes += 1
            frames_shown.add(frame)
    expected = sum(1 for o in project.objects.values() for e in o.entries.values() if e.box is not None)
    if boxes != expected:
        problems.append(f"{boxes} boxes read back, the project has {expected}")
    return {"results": len(results), "boxes": boxes, "max_error_px": worst, "problems": problems}


def negative_control(server: LabelStudio, config: str, tasks_file: bytes, project: Project) -> bool:
    """Label Studio takes tasks that cannot show (a wrong from_name, an unknown label) with HTTP 201:
    import such a copy into a second project and check that the comparison above flags it."""
    broken = json.loads(tasks_file)
    first = broken[0]["annotations"][0]["result"][0]
    first["from_name"], first["value"]["labels"] = "rect", ["no such label"]
    second = broken[0]["annotations"][0]["result"][1]
    second["value"]["labels"] = ["no such label"]
    pid = server.request("POST", "/api/projects", {"title": "negative control", "label_config": config})["id"]
    imported = server.request("POST", f"/api/projects/{pid}/import", json.dumps(broken).encode())
    stored = server.request("GET", f"/api/projects/{pid}")
    tasks = server.request("GET", f"/api/projects/{pid}/export?exportType=JSON")
    problems = compare(project, tasks, stored["parsed_label_config"],
                       (project.video.width, project.video.height))["problems"]
    print(f"negative control: wrong from_name and labels imported as {imported.get('task_count')} task "
          f"without complaint; the comparison flags {len(problems)}: {'; '.join(problems)}")
    return len(problems) >= 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label-studio", default="/tmp/lsvenv/bin/label-studio",
                        help="the label-studio executable")
    parser.add_argument("--project", type=Path, default=None,
                        help="a project file (default: the sample clip)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a new temporary folder")
    parser.add_argument("--startup-timeout", type=float, default=600)
    args = parser.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="ls-roundtrip-"))
    root = work / "media"  # Label Studio's local-files document root
    export_dir = root / "export"
    if args.project is not None:
        project, video = load_project(args.project), None
        video = project.video_path(args.project)
    else:
        project, video = sample_project(), SAMPLE / "sample.mp4"

    t0 = time.monotonic()
    notes: list[str] = []
    paths = export_project(project, "labelstudio", export_dir, video_path=video, write_frames=True,
                           media_url="/data/local-files/?d=export/", notes=notes.append, overwrite=True)
    print(f"export: {', '.join(p.name for p in paths)} in {time.monotonic() - t0:.1f} s")
    for n in notes:
        print(f"  note: {n}")
    written_video = next(p for p in paths if p.suffix in (".mp4", ".webm"))
    config = (export_dir / "labeling_config.xml").read_text()
    tasks_file = (export_dir / "tasks.json").read_bytes()

    server = LabelStudio(args.label_studio, args.port, work / "ls-data", root, work / "label-studio.log")
    try:
        print(f"label studio: ready after {server.wait_ready(args.startup_timeout):.0f} s on {server.base} "
              f"(version {server.request('GET', '/api/version').get('release', '?')}, listening on "
              f"{', '.join(listening_addresses(args.port)) or '?'})")
        created = server.request("POST", "/api/projects",
                                 {"title": "memtrack round trip", "label_config": config})
        pid = created["id"]
        server.request("POST", "/api/storages/localfiles",
                       {"project": pid, "path": str(export_dir), "title": "export", "use_blob_urls": False})
        imported = server.request("POST", f"/api/projects/{pid}/import", tasks_file)
        print(f"import: {imported.get('task_count')} task, {imported.get('annotation_count')} annotation")
        stored = server.request("GET", f"/api/projects/{pid}")
        parsed = stored["parsed_label_config"]
        framerate = ET.fromstring(stored["label_config"]).find("Video").get("framerate")
        tasks = server.request("GET", f"/api/projects/{pid}/export?exportType=JSON")
        result = compare(project, tasks, parsed, (project.video.width, project.video.height))
        print(f"read back: {result['results']} tracks, {result['boxes']} boxes, largest box error "
              f"{result['max_error_px']:.4f} px; config: from_name/to_name/labels "
              f"{'match' if not result['problems'] else 'DO NOT match'}; player framerate {framerate} "
              f"(project {project.video.fps:g} fps)")
        for p in result["problems"]:
            print(f"  problem: {p}")
        url = tasks[0]["data"]["video"]
        status, ctype, body = server.request("GET", url, raw=True)
        same = body == written_video.read_bytes()
        print(f"video: GET {url} -> HTTP {status}, {ctype}, {len(body)} bytes, "
              f"{'identical to' if same else 'DIFFERENT from'} {written_video.name}")
        caught = negative_control(server, config, tasks_file, project)
        ok = not result["problems"] and result["max_error_px"] < 0.01 and same and status == 200 \
            and float(framerate) == float(project.video.fps or 30) and caught
        print("round trip: " + ("OK" if ok else "FAILED"))
        return 0 if ok else 1
    finally:
        server.stop()
        print("label studio: stopped")


if __name__ == "__main__":
    sys.exit(main())
