"""Flask on Gunicorn's gthread worker: W processes (SYNC_WORKERS) of T threads (SYNC_THREADS,
default 4), each thread blocked on its own upstream call, so W·T requests are served at once:
the cheapest answer to "sync waits one request per worker" that keeps the code as it is. The
app is flask_app.py's; /health adds `threads`, and /stats is on its own port as flask's is.

    /usr/bin/python3 servers/python/flask_gthread_app.py   (FLASK_GTHREAD_PORT 8008,
        FLASK_GTHREAD_STATS_PORT 8018, SYNC_WORKERS, SYNC_THREADS, HOST, UPSTREAM_URL)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the work tree (nor in the image's COPY)
import flask_app  # noqa: E402

if __name__ == "__main__":
    flask_app.main("gthread")
