"""An LLM gateway as it is commonly written with Flask: POST /ask sends the question to an
OpenAI-compatible chat completions API with `requests` and answers with the reply; POST
/ask/stream relays the reply's tokens as server-sent events while they arrive.

On Gunicorn's sync workers (gunicorn.conf.py) each worker is blocked in `requests` for the whole
completion, so W workers answer W questions at a time and the rest wait in the listen backlog.

    OPENAI_BASE_URL=http://127.0.0.1:8001/v1 PORT=9001 WEB_CONCURRENCY=2 gunicorn flask_app:app
"""

import json
import os

import requests
from flask import Flask, Response, abort, jsonify, make_response, request, stream_with_context

# The benchmark's upstream by default; in production, https://api.openai.com/v1 and a real key.
BASE_URL = os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:8001/v1").rstrip("/")
API_KEY = os.environ.get("OPENAI_API_KEY", "not-needed-by-the-benchmark-upstream")
MODEL = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")
# Connect, then read: a completion can take a minute, a refused connection should not.
TIMEOUT = (5, float(os.environ.get("OPENAI_TIMEOUT", "120")))

app = Flask(__name__)
# Module level, so one keep-alive session per worker: Gunicorn imports the app in every worker.
session = requests.Session()
session.headers["Authorization"] = f"Bearer {API_KEY}"


def call_llm(stream):
    """The API's answer to the posted {"question": ...}, streamed or not; a 400 when there is no
    question, a 502 when the API fails."""
    body = request.get_json(silent=True)
    question = body.get("question") if isinstance(body, dict) else None
    if not isinstance(question, str) or not question.strip():
        abort(make_response(jsonify(error='send a JSON body {"question": "..."}'), 400))
    chat = {"model": MODEL, "messages": [{"role": "user", "content": question}], "stream": stream}
    try:
        r = session.post(f"{BASE_URL}/chat/completions", json=chat, timeout=TIMEOUT, stream=stream)
        r.raise_for_status()
    except requests.RequestException as err:
        abort(make_response(jsonify(error=f"the LLM API failed: {err}"), 502))
    return r


@app.post("/ask")
def ask():
    completion = call_llm(stream=False).json()
    return jsonify(answer=completion["choices"][0]["message"]["content"], usage=completion.get("usage"))


@app.post("/ask/stream")
def ask_stream():
    r = call_llm(stream=True)

    def relay():
        with r:
            for line in r.iter_lines():
                if not line.startswith(b"data: ") or line == b"data: [DONE]":
                    continue
                choices = json.loads(line[len(b"data: ") :]).get("choices") or []
                token = choices[0]["delta"].get("content") if choices else None
                if token:
                    yield f"data: {json.dumps({'token': token})}\n\n"
        yield "data: [DONE]\n\n"

    return Response(stream_with_context(relay()), mimetype="text/event-stream")
