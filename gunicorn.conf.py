"""gunicorn settings for `gunicorn 'app:create_app()'`, read from this folder.

Each can be overridden on the command line (-w, -b, --timeout...) or with
GUNICORN_CMD_ARGS.
"""

import multiprocessing

bind = "127.0.0.1:8000"
# The usual rule for sync workers: enough to keep every core busy while
# some wait on the database or on an OpenID provider.
workers = multiprocessing.cpu_count() * 2 + 1
# Build the app once in the master: a bad configuration (a weak SECRET_KEY)
# stops gunicorn with one line instead of a worker traceback, and workers
# share the loaded code. The app opens no connection before forking.
preload_app = True
# A sign-in waits on an OpenID provider for at most OPENID_FETCH_TIMEOUT per
# fetch; a worker stuck far longer than that is restarted.
timeout = 30
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
