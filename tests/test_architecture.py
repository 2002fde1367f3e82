"""Layering rules: tracker/ never imports Qt or app/; app/ reaches the engine only through its public
modules (the internals of the model can change without breaking the GUI)."""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# tracker modules app/ may import; everything else in tracker/ is internal to the engine
PUBLIC_TRACKER_MODULES = {
    "tracker", "tracker.types", "tracker.result", "tracker.project", "tracker.video", "tracker.atomic",
    "tracker.sequence", "tracker.evaluation", "tracker.formats", "tracker.training", "tracker.history",
    "tracker.config", "tracker.json_input",  # json_input: reading untrusted JSON, like atomic for writing
    "tracker.fill", "tracker.search_geometry", "tracker.prelabel",
    "tracker.threads",  # the engine's CPU thread count (the settings validate it)
}


def _imports(path: Path) -> set[str]:
    """Absolute module names a file imports (the module of a from-import, not the names it takes)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_tracker_never_imports_qt_or_app():
    for path in (REPO / "tracker").rglob("*.py"):
        for name in _imports(path):
            root = name.split(".")[0]
            assert root not in {"PySide6", "PyQt5", "PyQt6", "pyqtgraph", "app"}, f"{path} imports {name}"


def test_app_uses_only_the_engines_public_modules():
    for path in (REPO / "app").rglob("*.py"):
        for name in _imports(path):
            if name.split(".")[0] != "tracker":
                continue
            parts = name.split(".")
            public = any(".".join(parts[:n]) in PUBLIC_TRACKER_MODULES for n in range(2, len(parts) + 1))
            assert name == "tracker" or public, f"{path} imports engine internals: {name}"


def test_importing_app_cli_does_not_import_qt():
    import subprocess
    import sys

    code = "import sys, app.cli; assert 'PySide6' not in sys.modules, 'Qt imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_headless_formats_and_projects_do_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, tracker, tracker.formats, tracker.project; "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "from tracker import load_tracker, MemTracker, CheckpointError; assert 'torch' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
