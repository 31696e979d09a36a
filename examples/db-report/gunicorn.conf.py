# Gunicorn reads this file from its working directory (`gunicorn flask_app:app`).
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '9004')}"
# W sync workers with one database connection each; WEB_CONCURRENCY is Gunicorn's own variable.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A worker blocked in a query is silent, and Gunicorn kills one silent for `timeout` seconds.
timeout = 120
