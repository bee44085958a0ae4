"""``mandates web``: serve the web console on ``MANDATES_WEB_HOST``:``MANDATES_WEB_PORT``."""

from __future__ import annotations

from web.__main__ import main


def web_command() -> None:
    """Serve the web console (127.0.0.1:8080 unless MANDATES_WEB_HOST/MANDATES_WEB_PORT say
    otherwise): the Secretariat's work and the parties' answer pages."""
    main()
