"""The seed's async server: Quart on Hypercorn (asyncio), calling the upstream through one
shared httpx.AsyncClient (keep-alive), so one process waits on any number of calls at once.
The routes' work is aio.py's, shared with fastapi_app.py.

    /usr/bin/python3 servers/python/quart_app.py   (QUART_PORT 8006, HOST, UPSTREAM_URL)
"""

import asyncio
import json
import os
import signal
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, Response, request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the work tree (nor in the image's COPY)
import aio  # noqa: E402
import common  # noqa: E402

SERVER = aio.Server("quart", "QUART_PORT", 8006)
app = Quart(SERVER.name)


@app.route("/", defaults={"path": ""}, methods=aio.METHODS)
@app.route("/<path:path>", methods=aio.METHODS)
async def dispatch(path):
    result = await SERVER.dispatch(request.method, "/" + path, aio.target_of(request.scope), request.args)
    if isinstance(result, aio.Stream):
        response = Response(result.events(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})
        response.timeout = None  # a stream may outlast Quart's default response timeout
        return response
    status, body, headers = result
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


@app.before_serving
async def start_client():
    SERVER.open_client()


@app.after_serving
async def stop_client():
    await SERVER.close_client()


async def main():
    sock = SERVER.listen()
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
    server = asyncio.ensure_future(serve(app, config, shutdown_trigger=stop.wait))
    await SERVER.announce_when_answering(sock, server)
    await server


if __name__ == "__main__":
    common.watch_launcher()
    asyncio.run(main())
