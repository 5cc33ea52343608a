"""gunicorn settings for `gunicorn 'app:create_app()'`, read from this folder.

Each can be overridden on the command line (-w, -b, --timeout...) or with
GUNICORN_CMD_ARGS.
"""

import multiprocessing

bind = "127.0.0.1:8000"
# Threads, so that a request waiting on another host (an OpenID provider can
# take OPENID_FETCH_TIMEOUT per fetch) holds one thread, not a whole process.
# The fetcher lets at most OUTGOING_MAX_TOTAL requests of a worker (4) wait on
# other hosts at once, so pages always find free threads; the database pool
# (SQLALCHEMY_ENGINE_OPTIONS) is sized for these threads.
worker_class = "gthread"
threads = 8
# Processes for the cores: Python runs one thread at a time per process.
workers = multiprocessing.cpu_count() * 2 + 1
# Build the app once in the master: a bad configuration (a weak SECRET_KEY)
# stops gunicorn with one line instead of a worker traceback, and workers
# share the loaded code. The app opens no connection before forking.
preload_app = True
# A worker whose main loop has not checked in for this long is restarted.
timeout = 30
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
