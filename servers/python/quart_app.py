"""The seed's async server: Quart on Hypercorn (asyncio), calling the upstream through one
shared httpx.AsyncClient (keep-alive), so one process waits on any number of calls at once.

    /usr/bin/python3 servers/python/quart_app.py   (QUART_PORT 8006, HOST, UPSTREAM_URL)
"""

import asyncio
import json
import os
import signal
import socket
import sys
import time

import httpx
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, Response, request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the work tree (nor in the image's COPY)
import common  # noqa: E402

NAME = "quart"
CONFIG = common.config(NAME, "QUART_PORT", 8006)
STARTED = time.monotonic()
COUNTS = {"served": 0, "inFlight": 0}
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

app = Quart(NAME)
client = None


def json_response(status, body, headers=None):
    return Response(json.dumps(body), status=status, headers=headers or {}, mimetype="application/json")


def elapsed(started):
    return round((time.perf_counter() - started) * 1000, 1)


async def upstream_get(path, longest):
    timeout = longest + CONFIG["timeout"]
    try:
        r = await client.get(CONFIG["upstream"] + path, timeout=timeout)
    except httpx.TimeoutException:
        raise common.HttpError(504, f"upstream did not answer within {round(timeout * 1000)} ms")
    except httpx.HTTPError as err:
        raise common.HttpError(502, f"upstream unavailable: {type(err).__name__} ({CONFIG['upstream']})")
    if r.status_code != 200:
        raise common.HttpError(502, f"upstream answered {r.status_code}: {r.text[:200]}")
    return r


async def io():
    path, longest = common.io_request(request.args)
    started = time.perf_counter()
    asked = float(request.args["delay"])
    r = await upstream_get(path, longest)
    drawn = common.drawn_delay(r.text, asked)
    return {"server": NAME, "delay": asked, "drawnDelay": drawn, "elapsedMs": elapsed(started)}


async def fanout():
    raw, delay = common.parse_delay(request.args)
    n = common.parse_concurrent(request.args)
    started = time.perf_counter()
    # All at once: about one delay, whatever N.
    await asyncio.gather(*(upstream_get(f"/io?delay={raw}", delay) for _ in range(n)))
    return {"server": NAME, "delay": delay, "concurrent": n, "elapsedMs": elapsed(started)}


async def stream():
    path, longest, interval = common.stream_request(request.args)
    read = max(longest, interval) + CONFIG["timeout"]
    req = client.build_request("GET", CONFIG["upstream"] + path, timeout=httpx.Timeout(read))
    try:
        r = await client.send(req, stream=True)
    except httpx.TimeoutException:
        raise common.HttpError(504, f"upstream did not start the stream within {round(read * 1000)} ms")
    except httpx.HTTPError as err:
        raise common.HttpError(502, f"upstream unavailable: {type(err).__name__} ({CONFIG['upstream']})")
    if r.status_code != 200:
        text = (await r.aread())[:200].decode(errors="replace")
        await r.aclose()
        raise common.HttpError(502, f"upstream answered {r.status_code}: {text}")

    async def relay():
        # Events go out as they arrive; when the client goes away Quart cancels this generator
        # and the upstream response is closed with it.
        try:
            async for chunk in r.aiter_raw():
                yield chunk
        except httpx.HTTPError as err:
            yield f"event: error\ndata: {json.dumps({'error': type(err).__name__})}\n\n".encode()
        finally:
            await r.aclose()
            COUNTS["inFlight"] -= 1
            COUNTS["served"] += 1

    response = Response(relay(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})
    response.timeout = None  # a stream may outlast Quart's default response timeout
    return response


def health():
    return {"status": "ok", "server": NAME, "model": "async", "workers": 1, "pid": os.getpid()}


def stats():
    cpu, rss = common.process_usage(os.getpid())
    return dict(
        server=NAME,
        model="async",
        workers=1,
        pid=os.getpid(),
        cpuSeconds=cpu,
        rssBytes=rss,
        served=COUNTS["served"],
        inFlight=COUNTS["inFlight"],
        queued=0,
        uptimeSeconds=time.monotonic() - STARTED,
    )


ROUTES = {"/health": health, "/io": io, "/fanout": fanout, "/stream": stream, "/stats": stats}


@app.route("/", defaults={"path": ""}, methods=METHODS)
@app.route("/<path:path>", methods=METHODS)
async def dispatch(path):
    route = "/" + path
    tracked = route != "/stats"
    streaming = False
    if tracked:
        COUNTS["inFlight"] += 1
    try:
        raw = request.scope.get("raw_path", b"").decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        common.check_target(raw + ("?" + query if query else ""))
        if request.method not in ("GET", "HEAD") or route not in ROUTES:
            raise common.route_miss(request.method, route)
        result = ROUTES[route]()
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, Response):
            streaming = True  # counted out when the relay ends
            return result
        return json_response(200, result)
    except common.HttpError as err:
        return json_response(err.status, {"error": err.message}, err.headers)
    finally:
        if tracked and not streaming:
            COUNTS["inFlight"] -= 1
            COUNTS["served"] += 1


@app.before_serving
async def start_client():
    global client
    # Unbounded like the Node servers' pool: every waiting request holds its own connection,
    # so a 1000-wide /fanout is not quietly queued inside the client.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=1000, keepalive_expiry=60)
    client = httpx.AsyncClient(limits=limits)


@app.after_serving
async def stop_client():
    await client.aclose()


async def main():
    # The socket is made here, so port 0 works and the line below names the port it got.
    family = socket.AF_INET6 if ":" in CONFIG["host"] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((CONFIG["host"], CONFIG["port"]))
    except OSError as err:
        raise SystemExit(f"{NAME}: cannot listen on {CONFIG['host']}:{CONFIG['port']}: {err.strerror} (set QUART_PORT to use another)")
    sock.listen(4096)
    sock.set_inheritable(True)
    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.accesslog = None
    config.errorlog = "-"
    config.loglevel = "WARNING"
    config.keep_alive_timeout = 65
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    host, port = sock.getsockname()[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    server = asyncio.ensure_future(serve(app, config, shutdown_trigger=stop.wait))
    # Announce once the app answers: lifespan startup (the client) has run by then.
    while not server.done():
        try:
            reader, writer = await asyncio.open_connection(shown, port)
            writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = await reader.read(12)
            writer.close()
            if data.startswith(b"HTTP/1.1 200"):
                break
        except OSError:
            pass
        await asyncio.sleep(0.05)
    common.announce(NAME, f"http://{shown}:{port}", "async", 1)
    await server


if __name__ == "__main__":
    common.watch_launcher()
    asyncio.run(main())
