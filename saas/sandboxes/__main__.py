"""``python -m saas.sandboxes [--host H] [--port P]``: the sandboxes as their own process."""
from __future__ import annotations

import argparse

from werkzeug.serving import run_simple

from saas.sandboxes import create_standalone_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Antar's courier and message sandboxes")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5100)
    args = parser.parse_args()
    run_simple(args.host, args.port, create_standalone_app(), threaded=True)


if __name__ == "__main__":
    main()
