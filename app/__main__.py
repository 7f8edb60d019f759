"""Serve the app: ``python -m app`` (used by ``make run``).

Serves with waitress (a production WSGI server that runs everywhere) on 127.0.0.1:PORT.
"""

from __future__ import annotations

import logging

from waitress import serve

from app import create_app


def main() -> None:
    server = create_app()
    port = server.config["PORT"]
    host = server.config.get("HOST", "127.0.0.1")
    logging.getLogger("legato").info("Legato Analytics on http://%s:%s", host, port)
    print(f"Legato Analytics is running on http://{host}:{port}  (Ctrl+C to stop)", flush=True)
    serve(server, host=host, port=port, threads=8, ident="legato")


if __name__ == "__main__":
    main()
