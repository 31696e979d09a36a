# Gunicorn reads this file from its working directory (`gunicorn flask_app:app`): the gateway's
# server settings, from the environment.
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '9001')}"
# W sync workers, one request each at a time; WEB_CONCURRENCY is Gunicorn's own variable.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
# Gunicorn kills a worker that is silent for `timeout` seconds (default 30), and a blocked worker
# is silent: a long completion must not cost the worker.
timeout = int(os.environ.get("OPENAI_TIMEOUT", "120")) + 10
