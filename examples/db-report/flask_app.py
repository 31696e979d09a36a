"""A report endpoint as it is commonly written with Flask and psycopg: GET /report runs one query
that holds the database for the report's time and answers when it is done.

On Gunicorn's sync workers (gunicorn.conf.py) a worker runs one request at a time, so it needs
one connection, opened at its first request and kept: W workers, W queries at once.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres PORT=9004 WEB_CONCURRENCY=2 gunicorn flask_app:app
"""

import os

import psycopg
from flask import Flask, jsonify, request

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Seconds the query holds the database when the request names none (?delay=S).
REPORT_DELAY = float(os.environ.get("REPORT_DELAY", "0.3"))

app = Flask(__name__)
connection = None


def db():
    """This worker's connection, reopened when the last one broke (a database restart)."""
    global connection
    if connection is None or connection.closed:
        # autocommit: a read needs no transaction left open between requests.
        connection = psycopg.connect(DATABASE_URL, autocommit=True)
    return connection


@app.get("/report")
def report():
    try:
        delay = float(request.args.get("delay", REPORT_DELAY))
    except ValueError:
        delay = -1.0
    if not 0 <= delay <= 60:  # also refuses nan
        return jsonify(error=f"delay must be a number of seconds from 0 to 60, got {request.args.get('delay')!r}"), 400
    try:
        # pg_sleep stands for the slow aggregate of a real report: the database, not the app,
        # takes the time, and the worker waits on it.
        generated_at = db().execute("SELECT now() FROM pg_sleep(%s)", (delay,)).fetchone()[0]
    except psycopg.OperationalError as err:
        return jsonify(error=f"the database failed: {err}"), 503
    return jsonify(delay=delay, generated_at=generated_at.isoformat())
