"""What the two Python reference servers share: configuration from the environment (the same
variables and defaults as the Node servers, see lib/registry.ts), request validation with the
same status codes and words as servers/lib/params.ts, the upstream URL of a request, and the
CPU and memory of a set of processes read from /proc (no psutil: Debian's stack only)."""

import hashlib
import json
import math
import os
import re
import signal
import threading
import time

MAX_URL_LENGTH = 2048
MIN_DELAY, MAX_DELAY = 0, 60
MIN_CONCURRENT, MAX_CONCURRENT = 1, 1000
MIN_SIGMA, MAX_SIGMA = 0, 3
MAX_SEED = 4294967295
MIN_TOKENS, MAX_TOKENS = 1, 10000
MIN_INTERVAL, MAX_INTERVAL = 0, 10
MIN_CPU_MS, MAX_CPU_MS = 0, 10000
DISTRIBUTIONS = ("fixed", "exponential", "lognormal")
ROUTES = ("/health", "/io", "/fanout", "/stats", "/stream")
DEFAULT_UPSTREAM_URL = "http://127.0.0.1:8001"
DEFAULT_UPSTREAM_TIMEOUT_MS = 5000

# Plain decimal, sign allowed so that '-1' reads as out of range rather than "not a number".
DECIMAL = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class HttpError(Exception):
    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def env_int(name, default, low, high):
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    if not re.fullmatch(r"\d+", raw) or not low <= int(raw) <= high:
        raise SystemExit(f"{name} must be an integer between {low} and {high}, got '{raw}'")
    return int(raw)


def config(name, port_env, default_port):
    upstream = os.environ.get("UPSTREAM_URL") or DEFAULT_UPSTREAM_URL
    if not re.match(r"^https?://[^/\s]+", upstream):
        raise SystemExit(f"{name}: UPSTREAM_URL must be a URL, got '{upstream}'")
    return {
        "host": os.environ.get("HOST") or "127.0.0.1",
        "port": env_int(port_env, default_port, 0, 65535),
        "upstream": upstream.rstrip("/"),
        "workers": env_int("SYNC_WORKERS", os.cpu_count() or 1, 1, 1024),
        "timeout": env_int("UPSTREAM_TIMEOUT_MS", DEFAULT_UPSTREAM_TIMEOUT_MS, 1, 600000) / 1000,
    }


def clip(text, limit=40):
    return text if len(text) <= limit else text[:limit] + "..."


def single(args, name, expected):
    values = args.getlist(name)
    if not values:
        raise HttpError(400, f"{name} is required: {expected}")
    if len(values) > 1:
        raise HttpError(400, f"{name} must be given once")
    return values[0]


def decimal_in(args, name, low, high, unit=""):
    raw = single(args, name, f"a number between {low} and {high}{' ' + unit if unit else ''}")
    value = float(raw) if DECIMAL.match(raw) else None
    if value is None or not low <= value <= high:
        raise HttpError(400, f"{name} must be a number between {low} and {high}, got '{clip(raw)}'")
    return raw, value


def parse_delay(args):
    return decimal_in(args, "delay", MIN_DELAY, MAX_DELAY, "(seconds)")


def parse_concurrent(args):
    raw = single(args, "concurrent", f"an integer between {MIN_CONCURRENT} and {MAX_CONCURRENT}")
    if not re.fullmatch(r"\d+", raw) or not MIN_CONCURRENT <= int(raw) <= MAX_CONCURRENT:
        raise HttpError(
            400, f"concurrent must be an integer between {MIN_CONCURRENT} and {MAX_CONCURRENT}, got '{clip(raw)}'"
        )
    return int(raw)


def profile_query(args):
    """dist, sigma and seed, validated, as the query string that passes them on unchanged."""
    parts = []
    dist = "fixed"
    if "dist" in args:
        dist = single(args, "dist", ", ".join(DISTRIBUTIONS))
        if dist not in DISTRIBUTIONS:
            raise HttpError(400, f"dist must be one of {', '.join(DISTRIBUTIONS)}, got '{clip(dist)}'")
        parts.append(f"dist={dist}")
    if "sigma" in args:
        raw, _ = decimal_in(args, "sigma", MIN_SIGMA, MAX_SIGMA)
        parts.append(f"sigma={raw}")
    if "seed" in args:
        raw = single(args, "seed", f"an integer between 0 and {MAX_SEED}")
        if not re.fullmatch(r"\d{1,10}", raw) or int(raw) > MAX_SEED:
            raise HttpError(400, f"seed must be an integer between 0 and {MAX_SEED}, got '{clip(raw)}'")
        parts.append(f"seed={int(raw)}")
    return dist, parts


def io_request(args):
    """/io's parameters -> (upstream path and query, longest the draw may take in seconds)."""
    raw, delay = parse_delay(args)
    dist, parts = profile_query(args)
    # The drawn delay is unknown until the answer: allow any draw (the clamp, 60 s) unless fixed.
    return "/io?" + "&".join([f"delay={raw}"] + parts), (delay if dist == "fixed" else MAX_DELAY)


def drawn_delay(text, asked):
    """The delay the upstream says it drew (`{"delay": 0.42}`); one that does not say (a user's
    UPSTREAM_URL) waited the delay asked for, as far as anyone can tell."""
    try:
        delay = json.loads(text).get("delay")
    except (ValueError, AttributeError):
        return asked
    return delay if isinstance(delay, (int, float)) and not isinstance(delay, bool) and math.isfinite(delay) else asked


def stream_request(args):
    """/stream's parameters -> (upstream path, longest first-token wait, seconds between events)."""
    raw_tokens = single(args, "tokens", f"an integer between {MIN_TOKENS} and {MAX_TOKENS}")
    if not re.fullmatch(r"\d+", raw_tokens) or not MIN_TOKENS <= int(raw_tokens) <= MAX_TOKENS:
        raise HttpError(
            400, f"tokens must be an integer between {MIN_TOKENS} and {MAX_TOKENS}, got '{clip(raw_tokens)}'"
        )
    raw_interval, interval = decimal_in(args, "interval", MIN_INTERVAL, MAX_INTERVAL, "(seconds)")
    raw_delay, delay = parse_delay(args) if "delay" in args else ("0", 0.0)
    dist, parts = profile_query(args)
    query = [f"tokens={int(raw_tokens)}", f"interval={raw_interval}", f"delay={raw_delay}"] + parts
    return "/stream?" + "&".join(query), (delay if dist == "fixed" else MAX_DELAY), interval


def parse_cpu(args):
    """/io's `cpu`: milliseconds of computation before the upstream call; 0 when absent."""
    if "cpu" not in args:
        return 0.0
    return decimal_in(args, "cpu", MIN_CPU_MS, MAX_CPU_MS, "(milliseconds)")[1]


# cpu=MS, as servers/lib/cpu-work.ts does it in Node: SHA-256 of 1 KiB blocks until this
# thread's CPU clock has advanced by MS. CPU time, because the theory's c is CPU time and a wall
# clock or a rate calibrated at start drifts on a busy machine. 1 KiB, because hashlib releases
# the GIL only from 2 KiB on, and Python's own CPU work (templates, JSON, validation) holds it: a
# gthread worker's threads compute one at a time, as they would.
_BLOCK = bytes(i * 31 % 256 for i in range(1024))
_CHUNK = 8


def burn_cpu(ms):
    """About `ms` milliseconds of CPU on the calling thread: in a sync worker, a gthread's
    thread, or the event loop (quart, fastapi) and the gevent hub's greenlet, which it stalls."""
    if ms <= 0:
        return b""
    digest = b""
    end = time.thread_time() + ms / 1000
    while time.thread_time() < end:
        for _ in range(_CHUNK):
            digest = hashlib.sha256(_BLOCK + digest).digest()
    return digest


def route_miss(method, path):
    if path in ROUTES:
        return HttpError(405, f"method {clip(method)} is not allowed on {path}; use GET", {"Allow": "GET, HEAD"})
    return HttpError(404, f"no route {clip(method)} {clip(path)}; routes are {', '.join(ROUTES)}")


def check_target(target):
    if len(target) > MAX_URL_LENGTH:
        raise HttpError(414, f"request target must be at most {MAX_URL_LENGTH} characters, got {len(target)}")


def error_body(err):
    return json.dumps({"error": err.message})


def process_usage(pid, children=False):
    """(CPU seconds, RSS bytes) of one process from /proc; with children=True its reaped
    children's CPU too (a Gunicorn arbiter keeps the CPU of workers it replaced that way)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/statm") as f:
            rss_pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0, 0
    # After the ')' of the command name: fields[11:15] are utime, stime, cutime, cstime.
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS, rss_pages * PAGE_SIZE


def children_of(pid):
    """Process ids whose parent is `pid` (a Gunicorn worker finds its siblings this way)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
        return found
    except OSError:
        pass
    # Kernels without /proc/<pid>/task/<tid>/children: scan every process's parent.
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def listen_queue(port):
    """Connections waiting in the kernel's accept queue of a listening TCP port (/proc/net/tcp*):
    the ones that found every sync worker busy."""
    total = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    local, state, queues = cols[1], cols[3], cols[4]
                    if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                        total += int(queues.split(":")[1], 16)
        except OSError:
            pass
    return total


def announce(name, url, model, workers, stats_url=None):
    extra = f"; stats {stats_url}" if stats_url else ""
    print(f"{name} listening on {url} ({model}, {workers} worker{'' if workers == 1 else 's'}{extra})", flush=True)


def watch_launcher(force_after=5.0):
    """The launcher (servers/launch.ts) spawns every server with a Node IPC channel as a
    lifeline, as it does its Node servers: when the launcher dies, however it dies, the channel
    reads end-of-file. Then stop as on SIGTERM, and exit anyway after `force_after` seconds, so
    a crashed test run leaves no server (nor Gunicorn worker) behind. Nothing when started by
    hand or by Docker (no NODE_CHANNEL_FD)."""
    raw = os.environ.pop("NODE_CHANNEL_FD", "")
    os.environ.pop("NODE_CHANNEL_SERIALIZATION_MODE", None)
    if not raw.isdigit():
        return
    fd = int(raw)

    def watch():
        try:
            os.set_blocking(fd, True)
            # The launcher never writes to the channel; anything read is ignored.
            while os.read(fd, 4096):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(force_after)
        os._exit(1)

    threading.Thread(target=watch, name="launcher-lifeline", daemon=True).start()


def watch_parent(interval=0.5):
    """For a Gunicorn worker: exit when the arbiter is gone (killed with SIGKILL), instead of
    noticing only after the current request (up to 65 s) or Gunicorn's own check."""
    parent = os.getppid()
    # Bound now, before a gevent worker monkey-patches `time`: this is an OS thread, not a greenlet.
    sleep = time.sleep

    def watch():
        while os.getppid() == parent:
            sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="arbiter-lifeline", daemon=True).start()
