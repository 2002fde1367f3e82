"""The window's Qt-free core: the session (document, store, current frame, selection) and
everything that can be computed without a widget: edits, memory edits, settings, recovery, the
frame cache, view models, the tracking job and its runner, diagnostics and the review queue.

Nothing here imports PySide6 or pyqtgraph (an import-linter contract in pyproject.toml checks
it), so all of it runs and is tested headless.
"""
