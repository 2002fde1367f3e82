"""Controllers: each turns one group of views' gestures and actions into changes of the session
(`app.core.session.Session`) and engine calls (`app.engine_service.EngineService`), and keeps its
views up to date from the session's events.

A controller receives the session, the views it drives, a feedback object (status messages and
prompts) and the engine service; never the window, and never another controller. The views
never import a controller (an import-linter contract in pyproject.toml checks both).
"""
