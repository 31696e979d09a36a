"""The seed's third system: FastAPI on Uvicorn (asyncio), calling the upstream through one
shared httpx.AsyncClient, so one process waits on any number of calls at once. The routes'
work is aio.py's, shared with quart_app.py; this file maps it onto FastAPI.

    /usr/bin/python3 servers/python/fastapi_app.py   (FASTAPI_PORT 8010, HOST, UPSTREAM_URL)
"""

import asyncio
import json
import os
import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the work tree (nor in the image's COPY)
import aio  # noqa: E402
import common  # noqa: E402

SERVER = aio.Server("fastapi", "FASTAPI_PORT", 8010)
# No /docs, /redoc or /openapi.json: the contract's routes only, as on every other target.
app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.on_event("startup")
async def start_client():
    SERVER.open_client()


@app.on_event("shutdown")
async def stop_client():
    await SERVER.close_client()


# One catch-all route, as in quart_app.py: the shared dispatch answers 404 and 405 itself, with
# the same words as every other target (FastAPI's own would be {"detail": ...}).
@app.api_route("/{path:path}", methods=aio.METHODS)
async def dispatch(path: str, request: Request):
    result = await SERVER.dispatch(
        request.method, "/" + path, aio.target_of(request.scope), request.query_params
    )
    if isinstance(result, aio.Stream):
        return StreamingResponse(
            result.events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )
    status, body, headers = result
    return Response(json.dumps(body), status_code=status, headers=headers, media_type="application/json")


async def main():
    sock = SERVER.listen()
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=65,
        lifespan="on",
        # No Server and Date headers: nothing the other targets do not send either.
        server_header=False,
    )
    server = uvicorn.Server(config)
    # Uvicorn installs its own SIGTERM/SIGINT handlers: a graceful stop, then exit code 0.
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    await SERVER.announce_when_answering(sock, serving)
    await serving


if __name__ == "__main__":
    common.watch_launcher()
    asyncio.run(main())
