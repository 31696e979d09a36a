"""The LLM gateway of flask_app.py, as it is commonly written with FastAPI: POST /ask sends the
question to an OpenAI-compatible chat completions API through one shared httpx.AsyncClient and
answers with the reply; POST /ask/stream relays the reply's tokens as server-sent events.

On Uvicorn one process waits on any number of completions at once.

    OPENAI_BASE_URL=http://127.0.0.1:8001/v1 PORT=9002 python3 fastapi_app.py
    (or: uvicorn fastapi_app:app --port 9002)
"""

import json
import os

import anyio
import httpx
import uvicorn
from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, constr
from starlette.background import BackgroundTask

# The benchmark's upstream by default; in production, https://api.openai.com/v1 and a real key.
BASE_URL = os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:8001/v1").rstrip("/")
API_KEY = os.environ.get("OPENAI_API_KEY", "not-needed-by-the-benchmark-upstream")
MODEL = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")
TIMEOUT = httpx.Timeout(float(os.environ.get("OPENAI_TIMEOUT", "120")), connect=5)
# httpx's own default: at most 100 completions in flight, the others wait for a connection, as
# requests wait for a database pool. Raise it with the concurrency you expect.
MAX_CONNECTIONS = int(os.environ.get("OPENAI_MAX_CONNECTIONS", "100"))

app = FastAPI()
# One client for the process: its pool keeps connections to the API alive between requests.
client = httpx.AsyncClient(
    base_url=BASE_URL,
    headers={"Authorization": f"Bearer {API_KEY}"},
    timeout=TIMEOUT,
    limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
)


@app.on_event("shutdown")
async def close_client():
    await client.aclose()


class Ask(BaseModel):
    question: constr(strip_whitespace=True, min_length=1)


def chat_request(ask, stream):
    return {"model": MODEL, "messages": [{"role": "user", "content": ask.question}], "stream": stream}


@app.post("/ask")
async def answer(ask: Ask):
    try:
        r = await client.post("/chat/completions", json=chat_request(ask, stream=False))
        r.raise_for_status()
    except httpx.HTTPError as err:
        raise HTTPException(502, f"the LLM API failed: {err!r}")
    completion = r.json()
    return {"answer": completion["choices"][0]["message"]["content"], "usage": completion.get("usage")}


@app.post("/ask/stream")
async def answer_stream(ask: Ask):
    # Sent before the response starts, so a failing API is still a 502 rather than a cut stream.
    request = client.build_request("POST", "/chat/completions", json=chat_request(ask, stream=True))
    try:
        r = await client.send(request, stream=True)
    except httpx.HTTPError as err:
        raise HTTPException(502, f"the LLM API failed: {err!r}")
    if r.is_error:
        await r.aclose()
        raise HTTPException(502, f"the LLM API answered {r.status_code}")

    async def relay():
        lines = r.aiter_lines()
        while True:
            # Starlette cancels this generator when the client leaves. Cancelled inside a read,
            # httpcore before 0.17 (Debian 12's) loses the connection from the pool for good;
            # shielded, no read is cut and the connection goes back to the pool (with Debian
            # 12's anyio, only once the rest of the completion is read).
            with anyio.CancelScope(shield=True):
                line = await anext(lines, None)
            if line is None:
                break
            line = line.rstrip("\n")  # httpx before 0.24 leaves it on, later ones take it off
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            choices = json.loads(line[len("data: ") :]).get("choices") or []
            token = choices[0]["delta"].get("content") if choices else None
            if token:
                yield f"data: {json.dumps({'token': token})}\n\n"
        yield "data: [DONE]\n\n"

    # aclose also when the client leaves mid-stream: the connection goes back to the pool.
    return StreamingResponse(relay(), media_type="text/event-stream", background=BackgroundTask(r.aclose))


if __name__ == "__main__":
    # No access log: a line per request is CPU the sync gateway does not spend either.
    uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "9002")), access_log=False)
