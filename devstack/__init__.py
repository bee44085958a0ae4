"""The embedded dev stack: Temporal dev server with its Web UI, Postgres and the worker.

Everything binds to 127.0.0.1 and lives under the data folder (``.data/`` by default):
databases, pid files and logs. ``mandates dev up | down | status`` drive it.
"""
