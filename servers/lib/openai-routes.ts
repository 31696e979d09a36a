// The upstream's OpenAI-compatible routes: POST /v1/chat/completions (plain and streamed) and
// GET /v1/models, answered on the current IO profile, so a service that calls OpenAI is pointed
// at the upstream by its base URL alone.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { emitOnClock } from './event-clock.ts';
import { sendJson } from './http.ts';
import { toErrorResponse } from './http-error.ts';
import type { IoLedger } from './io-ledger.ts';
import {
  completionObject,
  modelList,
  newCompletion,
  OpenAiError,
  openAiErrorBody,
  parseChatRequest,
  streamEnd,
  tokenEvent,
} from './openai-api.ts';
import { readJson } from './read-body.ts';

export const CHAT_PATH = '/v1/chat/completions';
export const MODELS_PATH = '/v1/models';

/** Larger than any prompt a model takes (a 128k-token context is about 0.5 MB of text). */
export const MAX_CHAT_BODY_BYTES = 4 * 1024 * 1024;

/**
 * A completion of the profile's tokens. Streamed: the first token after the drawn delay, then
 * one every interval, then `data: [DONE]`. Plain: the whole answer when the same stream would
 * have ended, delay + (tokens - 1)·interval, so both cost the IO time of the same answer.
 */
export async function chatCompletions(req: IncomingMessage, res: ServerResponse, ledger: IoLedger) {
  if (req.method !== 'POST') throw notAllowed(req.method, CHAT_PATH, 'POST');
  const request = parseChatRequest(await readJson(req, MAX_CHAT_BODY_BYTES));
  // Gone while its body was read: nothing to answer, nothing to count.
  if (res.destroyed) return;
  const { delay, tokens, interval } = ledger.draw();
  const completion = newCompletion(request, tokens);
  const wait = { delay, streamSeconds: (completion.tokens - 1) * interval };
  if (request.stream) {
    ledger.count(res, 'streamsOpen', wait);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const clock = { delay, count: completion.tokens, interval };
    emitOnClock(res, clock, (n) => tokenEvent(completion, n), streamEnd(completion, request.includeUsage));
    return;
  }
  ledger.count(res, 'inFlight', wait);
  const answer = () => sendJson(res, 200, completionObject(completion));
  const timer = setTimeout(answer, (wait.delay + wait.streamSeconds) * 1000);
  res.once('close', () => clearTimeout(timer));
}

/** The one model the upstream names; at once, as a listing costs a real API next to nothing. */
export function models(req: IncomingMessage, res: ServerResponse) {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw notAllowed(req.method, MODELS_PATH, 'GET, HEAD');
  sendJson(res, 200, modelList());
}

/** An error on these routes as OpenAI's error object, so an SDK raises its usual typed error. */
export function sendOpenAiError(res: ServerResponse, err: unknown): void {
  const { status, headers, body } = toErrorResponse(err);
  sendJson(res, status, openAiErrorBody(status, body.error, err), headers);
}

function notAllowed(method: string | undefined, path: string, allow: string): OpenAiError {
  const message = `method ${String(method).slice(0, 40)} is not allowed on ${path}; use ${allow}`;
  return new OpenAiError(405, message, null, 'method_not_allowed', { Allow: allow });
}
