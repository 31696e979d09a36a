"""What the two asyncio targets (quart_app.py on Hypercorn, fastapi_app.py on Uvicorn) share
beside common.py: the upstream calls over one httpx.AsyncClient, the routes' work, their
counters, the dispatch with its errors, and the listening socket. Each app file only maps these
onto its framework, as the Node servers map servers/lib/routes.ts onto theirs."""

import asyncio
import json
import os
import socket
import time

import anyio
import httpx

import common

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


class Stream:
    """An upstream stream, opened (so a 502/504 is still a JSON answer), to be relayed."""

    def __init__(self, response, done):
        self.response, self._done = response, done

    async def events(self):
        # Events go out as they arrive. When the client goes away the framework cancels the
        # relay, and the upstream response must be closed with it. Each read runs in a task of
        # its own, behind asyncio.shield: Starlette cancels with anyio, which repeats the
        # cancellation at every await until the relay ends, and a read awaited directly would
        # get each repeat too, so httpcore's own cleanup of the interrupted read was cancelled
        # as well and left the upstream connection open (the upstream streamed on to nobody).
        # Here the read is cancelled once, below, and cleans up.
        chunks = self.response.aiter_raw()
        read = None
        try:
            while True:
                read = asyncio.ensure_future(chunks.__anext__())
                try:
                    chunk = await asyncio.shield(read)
                except StopAsyncIteration:
                    break
                yield chunk
        except httpx.HTTPError as err:
            yield f"event: error\ndata: {json.dumps({'error': type(err).__name__})}\n\n".encode()
        finally:
            with anyio.CancelScope(shield=True):
                if read is not None and not read.done():
                    read.cancel()
                    await asyncio.wait([read])
                await self.response.aclose()
            self._done()


class Server:
    def __init__(self, name, port_env, default_port):
        self.name = name
        self.port_env = port_env
        self.config = common.config(name, port_env, default_port)
        self.started = time.monotonic()
        self.served = 0
        self.in_flight = 0
        self.client = None

    def open_client(self):
        # Unbounded like the Node servers' pool: every waiting request holds its own connection,
        # so a 1000-wide /fanout is not quietly queued inside the client.
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=1000, keepalive_expiry=60)
        self.client = httpx.AsyncClient(limits=limits)

    async def close_client(self):
        await self.client.aclose()

    def unavailable(self, err):
        return common.HttpError(502, f"upstream unavailable: {type(err).__name__} ({self.config['upstream']})")

    async def upstream_get(self, path, longest):
        timeout = longest + self.config["timeout"]
        try:
            r = await self.client.get(self.config["upstream"] + path, timeout=timeout)
        except httpx.TimeoutException:
            raise common.HttpError(504, f"upstream did not answer within {round(timeout * 1000)} ms")
        except httpx.HTTPError as err:
            raise self.unavailable(err)
        if r.status_code != 200:
            raise common.HttpError(502, f"upstream answered {r.status_code}: {r.text[:200]}")
        return r

    async def io(self, args):
        path, longest = common.io_request(args)
        cpu = common.parse_cpu(args)
        started = time.perf_counter()
        # On the event loop, as a coroutine's own computation is: every other request waits meanwhile.
        common.burn_cpu(cpu)
        asked = float(args["delay"])
        r = await self.upstream_get(path, longest)
        drawn = common.drawn_delay(r.text, asked)
        return {"server": self.name, "delay": asked, "drawnDelay": drawn, "elapsedMs": elapsed(started)}

    async def fanout(self, args):
        raw, delay = common.parse_delay(args)
        n = common.parse_concurrent(args)
        started = time.perf_counter()
        # All at once: about one delay, whatever N.
        await asyncio.gather(*(self.upstream_get(f"/io?delay={raw}", delay) for _ in range(n)))
        return {"server": self.name, "delay": delay, "concurrent": n, "elapsedMs": elapsed(started)}

    async def stream(self, args):
        path, longest, interval = common.stream_request(args)
        read = max(longest, interval) + self.config["timeout"]
        req = self.client.build_request("GET", self.config["upstream"] + path, timeout=httpx.Timeout(read))
        try:
            r = await self.client.send(req, stream=True)
        except httpx.TimeoutException:
            raise common.HttpError(504, f"upstream did not start the stream within {round(read * 1000)} ms")
        except httpx.HTTPError as err:
            raise self.unavailable(err)
        if r.status_code != 200:
            text = (await r.aread())[:200].decode(errors="replace")
            await r.aclose()
            raise common.HttpError(502, f"upstream answered {r.status_code}: {text}")
        return Stream(r, self._stream_done)

    def _stream_done(self):
        self.in_flight -= 1
        self.served += 1

    def health(self, _args=None):
        return {"status": "ok", "server": self.name, "model": "async", "workers": 1, "pid": os.getpid()}

    def stats(self, _args=None):
        cpu, rss = common.process_usage(os.getpid())
        return dict(
            server=self.name,
            model="async",
            workers=1,
            pid=os.getpid(),
            cpuSeconds=cpu,
            rssBytes=rss,
            served=self.served,
            inFlight=self.in_flight,
            queued=0,
            uptimeSeconds=time.monotonic() - self.started,
        )

    async def dispatch(self, method, route, target, args):
        """One request -> (status, JSON body, headers), or a Stream for /stream."""
        routes = {
            "/health": self.health,
            "/io": self.io,
            "/fanout": self.fanout,
            "/stream": self.stream,
            "/stats": self.stats,
        }
        tracked = route != "/stats"
        streaming = False
        if tracked:
            self.in_flight += 1
        try:
            common.check_target(target)
            if method not in ("GET", "HEAD") or route not in routes:
                raise common.route_miss(method, route)
            result = routes[route](args)
            if asyncio.iscoroutine(result):
                result = await result
            if isinstance(result, Stream):
                streaming = True  # counted out when the relay ends
                return result
            return 200, result, {}
        except common.HttpError as err:
            return err.status, {"error": err.message}, err.headers
        finally:
            if tracked and not streaming:
                self.in_flight -= 1
                self.served += 1

    def listen(self):
        """The socket, made here so port 0 works and the announced line names the port it got."""
        host, port = self.config["host"], self.config["port"]
        # IPPROTO_TCP named, not left 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose
        # proto says TCP, and accepted sockets inherit the listener's. With proto 0, Uvicorn's two
        # writes per response (headers, then body) made every kept-alive request wait ~40 ms for
        # the client's delayed ACK: fastapi measured d + 45 ms at every load.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            raise SystemExit(f"{self.name}: cannot listen on {host}:{port}: {err.strerror} (set {self.port_env} to use another)")
        sock.listen(4096)
        sock.set_inheritable(True)
        return sock

    async def announce_when_answering(self, sock, server):
        """Announce once the app answers /health: its startup (the client) has run by then."""
        host, port = sock.getsockname()[:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
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
        common.announce(self.name, f"http://{shown}:{port}", "async", 1)


def target_of(scope):
    """The request target as sent (path and query), for the 414 check."""
    raw = scope.get("raw_path", b"").decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    return raw + ("?" + query if query else "")


def elapsed(started):
    return round((time.perf_counter() - started) * 1000, 1)
