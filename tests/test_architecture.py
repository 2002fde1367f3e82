"""Layering rules: tracker/ never imports Qt or app/; app/ reaches the engine only through its public
modules (the internals of the model can change without breaking the GUI); inside app/, the core
never imports Qt, views never import controllers, controllers never get the window, and nothing
imports the main window but the application entry (import-linter checks the same in pyproject)."""
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
    "tracker.protocols",  # what callers may rely on from a tracker (typed, runtime-checkable)
    "tracker.data_files",  # the one DatasetError, natural_key and ground-truth reader
    "tracker.drift",  # the auto-pause rule and its calibrated defaults
}


def _imports(path: Path, relative: bool = False) -> set[str]:
    """Absolute module names a file imports (the module of a from-import, not the names it takes);
    ``relative``: relative imports too, resolved against the file's package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = list(path.relative_to(REPO).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and relative:
            base = package[:len(package) - node.level + 1]
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{a.name}" for a in node.names)
    return names


def test_app_core_never_imports_qt():
    for path in (REPO / "app" / "core").rglob("*.py"):
        for name in _imports(path, relative=True):
            assert name.split(".")[0] not in {"PySide6", "pyqtgraph"}, f"{path} imports {name}"


def test_views_never_import_controllers():
    for folder in ("views", "dialogs"):
        for path in (REPO / "app" / folder).rglob("*.py"):
            for name in _imports(path, relative=True):
                assert not name.startswith(("app.controllers", "app.engine_service", "app.main_window")), \
                    f"{path} imports {name}"


def test_only_the_application_imports_the_main_window():
    for path in list((REPO / "app").rglob("*.py")) + list((REPO / "tracker").rglob("*.py")):
        if path.name == "application.py" and path.parent.name == "app":
            continue
        assert "app.main_window" not in _imports(path, relative=True), f"{path} imports the main window"


def test_controllers_never_hold_the_window():
    for path in (REPO / "app" / "controllers").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "MainWindow" not in text and "window" not in _init_parameters(text), path


def _init_parameters(text: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            names.update(a.arg for a in node.args.args + node.args.kwonlyargs)
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
