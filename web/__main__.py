"""``python -m web``: serve the console (``mandates web`` and the dev stack's ``web`` part run it)."""

from __future__ import annotations

import sys

import uvicorn

from config.logging import configure_logging
from config.settings import Settings
from domain.errors import DomainError
from web.app import create_app


def main() -> None:
    try:
        settings = Settings.load()
        configure_logging(settings.log_format, settings.log_level)
        settings.web_secret_bytes()  # (says so at once if it cannot be had)
        app = create_app(settings)
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    print(f"console on http://{settings.web_host}:{settings.web_port}", flush=True)
    uvicorn.run(
        app,
        host=settings.web_host,
        port=settings.web_port,
        log_level="warning",
        proxy_headers=False,  # (the console takes the word of MANDATES_WEB_TRUSTED_PROXIES only)
    )


if __name__ == "__main__":
    main()
