// The OpenAI chat completions API as far as a service under test uses it: the request fields
// that change the answer, the completion and chunk objects, the error object. Pure, so the
// shapes are checked without a socket; the official `openai` SDK is the test of record.

import { randomUUID } from 'node:crypto';
import { LIMITS } from '../../lib/registry.ts';
import { HttpError } from './http-error.ts';

/** The model the upstream lists; any name is accepted and echoed back. */
export const MODEL_ID = 'io-benchmark';

/** A 4xx whose body is OpenAI's error object, so an SDK raises its usual BadRequestError. */
export class OpenAiError extends HttpError {
  readonly param: string | null;
  readonly code: string | null;

  constructor(
    status: number,
    message: string,
    param: string | null = null,
    code: string | null = null,
    headers: Record<string, string> = {},
  ) {
    super(status, message, headers);
    this.param = param;
    this.code = code;
  }
}

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/**
 * An error on a /v1 route in OpenAI's shape, from the status and message every route error is
 * reduced to (toErrorResponse): `invalid_request_error` for a 4xx, as OpenAI says.
 */
export function openAiErrorBody(status: number, message: string, err: unknown): OpenAiErrorBody {
  const typed = err instanceof OpenAiError ? err : undefined;
  return {
    error: {
      message,
      type: status < 500 ? 'invalid_request_error' : 'server_error',
      param: typed?.param ?? null,
      code: typed?.code ?? null,
    },
  };
}

export interface ChatRequest {
  readonly model: string;
  readonly stream: boolean;
  /** stream_options.include_usage: a last chunk with the usage and no choices. */
  readonly includeUsage: boolean;
  /** max_completion_tokens, else max_tokens: caps the profile's tokens. */
  readonly maxTokens?: number;
  /** An estimate (4 characters a token): the upstream has no tokenizer, and needs none. */
  readonly promptTokens: number;
}

/** A parsed JSON body -> what the answer depends on; a 400 naming the parameter otherwise. */
export function parseChatRequest(body: unknown): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OpenAiError(400, 'the request body must be a JSON object', null, 'invalid_type');
  }
  const b = body as Record<string, unknown>;
  if (b.model !== undefined && typeof b.model !== 'string') {
    throw new OpenAiError(400, `model must be a string, got ${show(b.model)}`, 'model', 'invalid_type');
  }
  const promptTokens = parseMessages(b.messages);
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') {
    throw new OpenAiError(400, `stream must be a boolean, got ${show(b.stream)}`, 'stream', 'invalid_type');
  }
  if (b.n !== undefined && b.n !== null && b.n !== 1) {
    throw new OpenAiError(
      400,
      `n must be 1 (one choice per completion), got ${show(b.n)}`,
      'n',
      'invalid_value',
    );
  }
  const options = b.stream_options as { include_usage?: unknown } | null | undefined;
  let maxTokens: number | undefined;
  for (const name of ['max_tokens', 'max_completion_tokens']) {
    const value = b[name];
    if (value === undefined || value === null) continue;
    if (!(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= LIMITS.maxTokens)) {
      throw new OpenAiError(
        400,
        `${name} must be an integer between 1 and ${LIMITS.maxTokens}, got ${show(value)}`,
        name,
        'invalid_value',
      );
    }
    maxTokens = Math.min(maxTokens ?? Number.POSITIVE_INFINITY, value as number);
  }
  return {
    model: (b.model as string | undefined) ?? MODEL_ID,
    stream: b.stream === true,
    includeUsage: b.stream === true && options?.include_usage === true,
    ...(maxTokens === undefined ? {} : { maxTokens }),
    promptTokens,
  };
}

/** Checks `messages` (a non-empty array of {role, ...}) and estimates its tokens. */
function parseMessages(messages: unknown): number {
  if (messages === undefined) {
    throw new OpenAiError(
      400,
      'messages is required: a non-empty array of {role, content}',
      'messages',
      'missing_required_parameter',
    );
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new OpenAiError(
      400,
      `messages must be a non-empty array of {role, content}, got ${show(messages)}`,
      'messages',
      'invalid_value',
    );
  }
  let characters = 0;
  for (const [i, m] of messages.entries()) {
    const role = (m as { role?: unknown } | null)?.role;
    if (typeof m !== 'object' || m === null || typeof role !== 'string') {
      throw new OpenAiError(
        400,
        `messages[${i}] must be an object with a string role, got ${show(m)}`,
        `messages[${i}]`,
        'invalid_value',
      );
    }
    characters += JSON.stringify((m as { content?: unknown }).content ?? '').length;
  }
  return Math.max(1, Math.ceil(characters / 4));
}

/** One completion's identity, shared by all of its chunks. */
export interface Completion {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly tokens: number;
  readonly promptTokens: number;
  /** 'length' when max_tokens cut the profile's answer short. */
  readonly finishReason: 'stop' | 'length';
}

export function newCompletion(request: ChatRequest, profileTokens: number): Completion {
  const tokens = Math.min(profileTokens, request.maxTokens ?? profileTokens);
  return {
    id: `chatcmpl-${randomUUID().replaceAll('-', '')}`,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    tokens,
    promptTokens: request.promptTokens,
    finishReason: tokens < profileTokens ? 'length' : 'stop',
  };
}

/** The n-th token's text (1-based): words that say where they are, space-separated. */
export function tokenText(n: number): string {
  return n === 1 ? 'token1' : ` token${n}`;
}

function usage(c: Completion) {
  return {
    prompt_tokens: c.promptTokens,
    completion_tokens: c.tokens,
    total_tokens: c.promptTokens + c.tokens,
  };
}

/** The non-streamed answer: a `chat.completion` object. */
export function completionObject(c: Completion) {
  let content = '';
  for (let n = 1; n <= c.tokens; n++) content += tokenText(n);
  return {
    id: c.id,
    object: 'chat.completion',
    created: c.created,
    model: c.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        logprobs: null,
        finish_reason: c.finishReason,
      },
    ],
    usage: usage(c),
  };
}

/** One server-sent event of a streamed answer: a `chat.completion.chunk`. */
function chunkEvent(c: Completion, choices: unknown[], extra: Record<string, unknown> = {}): string {
  const chunk = { id: c.id, object: 'chat.completion.chunk', created: c.created, model: c.model, choices };
  return `data: ${JSON.stringify({ ...chunk, ...extra })}\n\n`;
}

/**
 * The n-th token's event. The first also carries the role, as OpenAI's first chunk does, and the
 * last the finish reason, so the stream holds exactly one event per token (the profile's count).
 */
export function tokenEvent(c: Completion, n: number): string {
  const delta = n === 1 ? { role: 'assistant', content: tokenText(n) } : { content: tokenText(n) };
  const finish = n === c.tokens ? c.finishReason : null;
  return chunkEvent(c, [{ index: 0, delta, logprobs: null, finish_reason: finish }]);
}

/** What follows the last token: the usage chunk when asked for, then `data: [DONE]`. */
export function streamEnd(c: Completion, includeUsage: boolean): string {
  return `${includeUsage ? chunkEvent(c, [], { usage: usage(c) }) : ''}data: [DONE]\n\n`;
}

/** GET /v1/models. */
export function modelList() {
  return { object: 'list', data: [{ id: MODEL_ID, object: 'model', created: 0, owned_by: 'io-benchmark' }] };
}

/** A client's value in a message, short. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
