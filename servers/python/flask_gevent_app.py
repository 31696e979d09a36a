"""Flask on Gunicorn's gevent worker: the same blocking code as flask_app.py, but Gunicorn
monkey-patches the standard library in each worker, so `requests` waits on a greenlet and one
worker process serves any number of requests at once. Sync code, async behaviour: it reports
model "async" and is measured against the theory of W async processes.

    /usr/bin/python3 servers/python/flask_gevent_app.py   (FLASK_GEVENT_PORT 8009,
        SYNC_WORKERS, HOST, UPSTREAM_URL)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the work tree (nor in the image's COPY)
import flask_app  # noqa: E402

if __name__ == "__main__":
    flask_app.main("gevent")
