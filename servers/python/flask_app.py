"""The seed's sync server: Flask on Gunicorn's sync workers, calling the upstream with
`requests`, so a worker is blocked for the whole wait and serves one request at a time, with no
keep-alive. Gunicorn's arbiter also runs a small thread that answers /stats on its own port
(FLASK_STATS_PORT): the app's port cannot answer while every worker is blocked.

The same app runs on Gunicorn's other workers, the alternatives to migrating (VARIANTS below,
started by flask_gthread_app.py and flask_gevent_app.py): gthread, W processes of SYNC_THREADS
threads each, still one request per thread; gevent, whose monkey-patched `requests` lets one
worker wait on any number of calls, so it is measured as async.

    /usr/bin/python3 servers/python/flask_app.py   (FLASK_PORT 8005, FLASK_STATS_PORT 8015,
                                                    SYNC_WORKERS, HOST, UPSTREAM_URL)
"""

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import Lock, RawArray

from flask import Flask, Response, request, stream_with_context
from gunicorn.app.base import BaseApplication

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the work tree (nor in the image's COPY)
import common  # noqa: E402


class Variant:
    def __init__(self, name, port, stats_port, worker_class, model):
        self.name, self.port, self.stats_port = name, port, stats_port
        self.worker_class, self.model = worker_class, model


# Ports and names as in lib/registry.ts: (variable, default). gevent has no stats port: its
# workers answer /stats on the app's port however many requests they wait on.
VARIANTS = {
    "sync": Variant("flask", ("FLASK_PORT", 8005), ("FLASK_STATS_PORT", 8015), "sync", "sync"),
    "gthread": Variant(
        "flask-gthread", ("FLASK_GTHREAD_PORT", 8008), ("FLASK_GTHREAD_STATS_PORT", 8018), "gthread", "sync"
    ),
    "gevent": Variant("flask-gevent", ("FLASK_GEVENT_PORT", 8009), None, "gevent", "async"),
}
# Set by main() before Gunicorn forks, so every worker sees the variant it was started as.
VARIANT = VARIANTS["sync"]
NAME = VARIANT.name
CONFIG = None
STATS_PORT = None
THREADS = 1
STARTED = time.monotonic()
# Made before Gunicorn forks, so every worker counts into the same memory: served, in flight.
COUNTS = RawArray("q", 2)
COUNTS_LOCK = Lock()

app = Flask("flask")
_session = {"pid": None, "session": None}
# Imported in the worker, by session(): Gunicorn's gevent worker patches the standard library
# when it starts, and urllib3 imported before that (here, in the arbiter) would keep unpatched
# references (gevent warns), as it never does with `gunicorn -k gevent app:app`, which imports the
# app in the worker.
requests = None


def session():
    """One keep-alive session per worker process (created after the fork, like a module-level
    requests.Session in a Flask app started by Gunicorn without --preload). Its pool keeps as
    many connections as the worker has requests at once (gthread's threads, gevent's greenlets),
    not requests' default 10 (more would be opened and thrown away, with a warning each)."""
    global requests
    if _session["pid"] != os.getpid():
        import requests

        s = requests.Session()
        s.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=1000))
        s.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=1000))
        _session["pid"], _session["session"] = os.getpid(), s
    return _session["session"]


def count(index, delta):
    with COUNTS_LOCK:
        COUNTS[index] += delta


def json_response(status, body, headers=None):
    return Response(json.dumps(body), status=status, headers=headers or {}, mimetype="application/json")


def upstream_get(path, longest, stream=False, interval=0.0):
    url = CONFIG["upstream"] + path
    # Connect, then read: the read timeout runs between bytes, so for a stream it is the
    # longest gap (the first token's wait or the interval) plus the allowance.
    read = max(longest, interval) + CONFIG["timeout"]
    try:
        r = session().get(url, timeout=(min(CONFIG["timeout"], 10), read), stream=stream)
    except requests.exceptions.Timeout:
        raise common.HttpError(504, f"upstream did not answer within {round(read * 1000)} ms")
    except requests.exceptions.RequestException as err:
        raise common.HttpError(502, f"upstream unavailable: {type(err).__name__} ({CONFIG['upstream']})")
    if r.status_code != 200:
        text = r.text[:200]
        r.close()
        raise common.HttpError(502, f"upstream answered {r.status_code}: {text}")
    return r


def health():
    body = {"status": "ok", "server": NAME, "model": VARIANT.model, "workers": CONFIG["workers"], "pid": os.getpid()}
    if VARIANT.worker_class == "gthread":
        # W·T requests at once: the theory counts threads as workers.
        body["threads"] = THREADS
    return body


def io():
    path, longest = common.io_request(request.args)
    cpu = common.parse_cpu(request.args)
    started = time.perf_counter()
    common.burn_cpu(cpu)
    asked = float(request.args["delay"])
    with upstream_get(path, longest) as r:
        drawn = common.drawn_delay(r.text, asked)
    return {"server": NAME, "delay": asked, "drawnDelay": drawn, "elapsedMs": elapsed(started)}


def fanout():
    raw, delay = common.parse_delay(request.args)
    n = common.parse_concurrent(request.args)
    started = time.perf_counter()
    # One after another, as a sync view looping over requests.get() does: about N x delay.
    for _ in range(n):
        upstream_get(f"/io?delay={raw}", delay).close()
    return {"server": NAME, "delay": delay, "concurrent": n, "elapsedMs": elapsed(started)}


def stream():
    path, longest, interval = common.stream_request(request.args)
    r = upstream_get(path, longest, stream=True, interval=interval)

    def relay():
        # The worker stays here, blocked on the upstream between events, until the stream
        # ends; when the client goes away Gunicorn closes this generator and the upstream
        # response is closed with it.
        try:
            for chunk in r.iter_content(chunk_size=None):
                yield chunk
        except requests.exceptions.RequestException as err:
            yield f"event: error\ndata: {json.dumps({'error': type(err).__name__})}\n\n".encode()
        finally:
            r.close()

    return Response(stream_with_context(relay()), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})


def elapsed(started):
    return round((time.perf_counter() - started) * 1000, 1)


def stats_body(arbiter_pid, worker_pids, listen_port):
    cpu, rss = common.process_usage(arbiter_pid, children=True)
    for pid in worker_pids:
        c, r = common.process_usage(pid)
        cpu, rss = cpu + c, rss + r
    return {
        "server": NAME,
        "model": VARIANT.model,
        "workers": CONFIG["workers"],
        "pid": arbiter_pid,
        "cpuSeconds": cpu,
        "rssBytes": rss,
        "served": COUNTS[0],
        "inFlight": COUNTS[1],
        "queued": common.listen_queue(listen_port),
        "uptimeSeconds": time.monotonic() - STARTED,
    }


ROUTES = {"/health": health, "/io": io, "/fanout": fanout, "/stream": stream}
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


@app.route("/", defaults={"path": ""}, methods=METHODS)
@app.route("/<path:path>", methods=METHODS)
def dispatch(path):
    route = "/" + path
    tracked = route != "/stats"
    deferred = False
    if tracked:
        count(1, +1)
    try:
        common.check_target(request.environ.get("RAW_URI", request.full_path))
        if request.method not in ("GET", "HEAD") or (route not in ROUTES and route != "/stats"):
            raise common.route_miss(request.method, route)
        if route == "/stats":
            # A free worker answers too, with the same figures (the arbiter and its workers);
            # the arbiter's stats port answers always.
            arbiter = os.getppid()
            port = request.environ.get("SERVER_PORT", CONFIG["port"])
            return json_response(200, stats_body(arbiter, common.children_of(arbiter), int(port)))
        result = ROUTES[route]()
        if not isinstance(result, Response):
            return json_response(200, result)
        # A stream is in flight until its last event is sent (or the client has gone).
        deferred = True
        result.call_on_close(lambda: (count(1, -1), count(0, +1)))
        return result
    except common.HttpError as err:
        return json_response(err.status, {"error": err.message}, err.headers)
    finally:
        if tracked and not deferred:
            count(1, -1)
            count(0, +1)


class StatsHandler(BaseHTTPRequestHandler):
    server_version = NAME

    def do_GET(self):
        arbiter = self.server.arbiter
        path = self.path.split("?", 1)[0]
        if path == "/stats":
            body, status = stats_body(os.getpid(), list(arbiter.WORKERS.keys()), arbiter.LISTENERS[0].getsockname()[1]), 200
        elif path == "/health":
            body, status = dict(health(), pid=os.getpid()), 200
        else:
            body, status = {"error": f"no route GET {common.clip(path)}; routes are /stats, /health"}, 404
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def post_fork(arbiter, worker):
    """Runs in each new worker: it exits as soon as its arbiter is gone."""
    common.watch_parent()


def post_worker_init(worker):
    """Runs in each worker once it is set up (gevent's patches applied): import `requests` and
    open the session now, so the first request does not pay for the import."""
    session()


def when_ready(arbiter):
    """Runs in the arbiter once it listens: start the stats thread, then say where both are."""
    show = lambda h: "127.0.0.1" if h in ("0.0.0.0", "") else h  # noqa: E731
    stats_url = None
    if STATS_PORT is not None:
        stats = ThreadingHTTPServer((CONFIG["host"], STATS_PORT), StatsHandler)
        stats.daemon_threads = True
        stats.arbiter = arbiter
        threading.Thread(target=stats.serve_forever, daemon=True).start()
        stats_url = f"http://{show(CONFIG['host'])}:{stats.server_address[1]}"
    host, port = arbiter.LISTENERS[0].getsockname()[:2]
    common.announce(NAME, f"http://{show(host)}:{port}", VARIANT.model, CONFIG["workers"], stats_url)


class Gunicorn(BaseApplication):
    def load_config(self):
        settings = {
            "bind": f"{CONFIG['host']}:{CONFIG['port']}",
            "workers": CONFIG["workers"],
            "worker_class": VARIANT.worker_class,
            # gthread only (the others ignore it): requests one worker serves at once.
            "threads": THREADS,
            "backlog": 4096,
            # Long enough for the longest wait (60 s) and a stream; 30 s, the default, would
            # kill a worker that is only waiting on its upstream.
            "timeout": 300,
            # On SIGTERM a worker blocked on the upstream is killed after this; shorter than the
            # launcher's 5 s before it kills the arbiter, so no worker outlives its arbiter.
            "graceful_timeout": 3,
            "accesslog": None,
            "loglevel": "warning",
            "when_ready": when_ready,
            "post_fork": post_fork,
            "post_worker_init": post_worker_init,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self):
        return app


def main(variant):
    global VARIANT, NAME, CONFIG, STATS_PORT, THREADS
    VARIANT = VARIANTS[variant]
    NAME = VARIANT.name
    StatsHandler.server_version = NAME
    CONFIG = common.config(NAME, *VARIANT.port)
    STATS_PORT = common.env_int(*VARIANT.stats_port, 0, 65535) if VARIANT.stats_port else None
    if VARIANT.worker_class == "gthread":
        THREADS = common.env_int("SYNC_THREADS", 4, 1, 1024)
    common.watch_launcher()
    Gunicorn().run()


if __name__ == "__main__":
    main("sync")
