"""``mandates codec-server``: decode the engine's encrypted payloads for the Web UI and the CLI."""

from __future__ import annotations

import typer

from cli.output import echo
from config.codec_server import CodecServer
from config.settings import LOOPBACK, Settings


def codec_server_command(
    port: int | None = typer.Option(None, "--port", help="Port on 127.0.0.1 (default MANDATES_CODEC_PORT)."),
) -> None:
    """Serve /encode and /decode (bearer token required) until Ctrl-C."""
    settings = Settings.load()
    server = CodecServer.from_settings(settings, port)
    where = "$MANDATES_CODEC_TOKEN" if settings.codec_token else str(settings.codec_token_path)
    url = f"http://{LOOPBACK}:{server.port}"
    echo(f"codec server on {url} (token: {where})")
    echo(f"  Web UI codec endpoint: {url}/<token>")
    echo(f'  Temporal CLI: --codec-endpoint {url} --codec-auth "Bearer <token>"')
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
