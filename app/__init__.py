"""The annotation application: the Qt window (app.main_window and its views) and the command line
(app.cli). Importing this package does not import Qt: headless commands stay headless."""
