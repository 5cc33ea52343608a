"""Serve the development configuration: python run.py [--host H] [--port P] [--debug]"""

import argparse

from app import create_app
from config import DevelopmentConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--debug", action="store_true", help="debugger and reloader")
    args = parser.parse_args()
    app = create_app(DevelopmentConfig)
    # Threaded: a sign-in with the built-in provider makes the server fetch
    # its own /dev/openid/ pages while it is answering the visitor.
    app.run(host=args.host, port=args.port, debug=args.debug, threaded=True)


if __name__ == "__main__":
    main()
