// The upstream speaks the APIs real services call: OpenAI's chat completions (plain and
// streamed) and models, answered to the official `openai` SDK unchanged, pointed at a real
// upstream by its baseURL; bad bodies as OpenAI's error object; a client that leaves a stream
// ends it; any other path answers after the profile's delay; PUT /profile switches what calls
// naming no delay wait, and GET /profile/usage counts every slot's calls and IO seconds exactly.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { drawDelay } from '../servers/lib/delay-dist.ts';
import { nthDraw, parseProfile } from '../servers/lib/io-profile.ts';
import { MAX_CHAT_BODY_BYTES } from '../servers/lib/openai-routes.ts';
import { createUpstreamServer } from '../servers/upstream.ts';
import { request, useServers, waitFor } from './helpers/servers.ts';

const MESSAGES = [{ role: 'user' as const, content: 'How long does the IO take?' }];

describe('the upstream as an OpenAI-compatible API and a generic external API', () => {
  const servers = useServers({ only: ['upstream'] });
  const base = () => servers.urls.upstream;
  // maxRetries 0: a failure shows as itself, not as three attempts.
  const client = () => new OpenAI({ baseURL: `${base()}/v1`, apiKey: 'not-needed', maxRetries: 0 });
  const setProfile = async (profile: Record<string, unknown>) => {
    const reply = await request(`${base()}/profile`, { method: 'PUT', body: JSON.stringify(profile) });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body;
  };
  const usage = async (slot: string) =>
    (await request(`${base()}/profile/usage?slot=${encodeURIComponent(slot)}`)).body;
  const stats = async () => (await request(`${base()}/stats`)).body;
  const post = (path: string, body: string) => request(`${base()}${path}`, { method: 'POST', body });

  describe('with the official openai SDK', () => {
    it('answers a chat completion with the profile tokens, usage and finish_reason', async () => {
      await setProfile({ slot: 'sdk-plain', delay: 0, tokens: 4, interval: 0 });
      const completion = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
      assert.equal(completion.object, 'chat.completion');
      assert.equal(completion.model, 'gpt-4o-mini');
      assert.match(completion.id, /^chatcmpl-/);
      const [choice] = completion.choices;
      assert.equal(choice?.message.role, 'assistant');
      assert.equal(choice?.message.content, 'token1 token2 token3 token4');
      assert.equal(choice?.finish_reason, 'stop');
      assert.equal(completion.usage?.completion_tokens, 4);
      assert.equal(completion.usage?.total_tokens, (completion.usage?.prompt_tokens ?? 0) + 4);
    });

    it('cuts the answer at max_tokens with finish_reason length', async () => {
      await setProfile({ slot: 'sdk-cap', delay: 0, tokens: 10, interval: 0 });
      const completion = await client().chat.completions.create({
        model: 'm',
        messages: MESSAGES,
        max_tokens: 2,
      });
      assert.equal(completion.choices[0]?.message.content, 'token1 token2');
      assert.equal(completion.choices[0]?.finish_reason, 'length');
      assert.equal(completion.usage?.completion_tokens, 2);
    });

    it('streams chat.completion.chunk deltas spaced by the interval, the usage when asked, and ends', async () => {
      await setProfile({ slot: 'sdk-stream', delay: 0.1, tokens: 5, interval: 0.05 });
      const started = performance.now();
      const stream = await client().chat.completions.create({
        model: 'm',
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true },
      });
      const arrivals: number[] = [];
      let content = '';
      let finish: string | null | undefined;
      let completionTokens: number | undefined;
      for await (const chunk of stream) {
        assert.equal(chunk.object, 'chat.completion.chunk');
        const [choice] = chunk.choices;
        if (choice) {
          arrivals.push(performance.now() - started);
          content += choice.delta.content ?? '';
          finish = choice.finish_reason ?? finish;
        }
        if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
      }
      assert.equal(content, 'token1 token2 token3 token4 token5');
      assert.equal(finish, 'stop');
      assert.equal(completionTokens, 5);
      // One chunk per token, the first after the delay, the last after delay + 4 intervals (a
      // timer never fires early), and not in one burst; upper bounds leave room for a busy machine.
      assert.equal(arrivals.length, 5);
      const [first = 0, , , , last = 0] = arrivals;
      assert.ok(first >= 95 && first < 1500, `first token after ${first.toFixed(0)} ms`);
      assert.ok(last >= 295 && last < 3000, `last token after ${last.toFixed(0)} ms`);
      assert.ok(last - first >= 100, `tokens spread over only ${(last - first).toFixed(0)} ms`);
    });

    it('serves the SDK stream helper and its accumulated final completion', async () => {
      await setProfile({ slot: 'sdk-helper', delay: 0, tokens: 3, interval: 0 });
      const runner = client().chat.completions.stream({ model: 'm', messages: MESSAGES });
      const final = await runner.finalChatCompletion();
      assert.equal(final.choices[0]?.message.content, 'token1 token2 token3');
      assert.equal(final.choices[0]?.finish_reason, 'stop');
    });

    it('lists its model', async () => {
      const page = await client().models.list();
      assert.deepEqual(
        page.data.map((m) => [m.id, m.object]),
        [['io-benchmark', 'model']],
      );
    });

    it('raises BadRequestError with param and message for a bad request', async () => {
      const cases: Array<[Record<string, unknown>, string, RegExp]> = [
        [{ model: 'm', messages: [] }, 'messages', /messages must be a non-empty array/],
        [{ model: 'm' }, 'messages', /messages is required/],
        [{ model: 'm', messages: MESSAGES, max_tokens: 0 }, 'max_tokens', /between 1 and 10000, got 0/],
        [{ model: 'm', messages: MESSAGES, max_tokens: 10001 }, 'max_tokens', /got 10001/],
        [{ model: 'm', messages: MESSAGES, max_tokens: 1.5 }, 'max_tokens', /got 1.5/],
        [{ model: 'm', messages: ['hi'] }, 'messages[0]', /string role/],
        [{ model: 'm', messages: MESSAGES, stream: 'yes' }, 'stream', /stream must be a boolean/],
      ];
      for (const [body, param, message] of cases) {
        const err = await client()
          .chat.completions.create(body as never)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        assert.ok(err instanceof OpenAI.BadRequestError, `${JSON.stringify(body)}: ${String(err)}`);
        assert.equal(err.status, 400);
        assert.equal(err.param, param);
        assert.equal(err.type, 'invalid_request_error');
        assert.match(err.message, message);
      }
    });
  });

  describe('bad bodies on the wire', () => {
    const openAiError = (body: unknown) => {
      const error = (body as { error?: Record<string, unknown> }).error;
      assert.deepEqual(Object.keys(error ?? {}).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(typeof error?.message, 'string');
      return error as { message: string; type: string; param: string | null; code: string | null };
    };

    for (const [name, body] of [
      ['not JSON', '{"messages": [}'],
      ['empty', ''],
      ['a JSON array', '[]'],
    ] as const) {
      it(`${name}: 400 with OpenAI's error object`, async () => {
        const reply = await post('/v1/chat/completions', body);
        assert.equal(reply.status, 400);
        assert.equal(openAiError(reply.body).type, 'invalid_request_error');
      });
    }

    it('too large: 413 with the limit, answered after the body so the client reads it', async () => {
      const body = JSON.stringify({ messages: [{ role: 'user', content: 'a'.repeat(MAX_CHAT_BODY_BYTES) }] });
      const reply = await post('/v1/chat/completions', body);
      assert.equal(reply.status, 413);
      assert.match(openAiError(reply.body).message, new RegExp(`at most ${MAX_CHAT_BODY_BYTES} bytes`));
    });

    it('GET on the completions route: 405 with Allow: POST, as an OpenAI error', async () => {
      const reply = await request(`${base()}/v1/chat/completions`);
      assert.equal(reply.status, 405);
      assert.equal(reply.headers.allow, 'POST');
      assert.equal(openAiError(reply.body).code, 'method_not_allowed');
    });
  });

  describe('a client that leaves a stream', () => {
    const settled = () =>
      waitFor(
        async () => {
          const s = await stats();
          return s.streamsOpen === 0 && s.inFlight === 0 ? s : undefined;
        },
        3000,
        'the upstream to hold nothing open',
      );

    it('mid-stream: the upstream stream ends, nothing left in flight, counted as abandoned', async () => {
      await setProfile({ slot: 'leave-mid', delay: 0, tokens: 1000, interval: 0.05 });
      const stream = await client().chat.completions.create({ model: 'm', messages: MESSAGES, stream: true });
      let chunks = 0;
      for await (const _ of stream) {
        if (++chunks === 2) break; // leaving the loop aborts the request, as a client would
      }
      await settled();
      assert.deepEqual(await usage('leave-mid'), {
        slot: 'leave-mid',
        calls: 0,
        ioSeconds: 0,
        abandoned: 1,
        inFlight: 0,
      });
    });

    it('before the first token: the upstream stream ends at once, not after the delay', async () => {
      await setProfile({ slot: 'leave-early', delay: 30, tokens: 3, interval: 0 });
      const controller = new AbortController();
      const pending = client()
        .chat.completions.create(
          { model: 'm', messages: MESSAGES, stream: true },
          { signal: controller.signal },
        )
        .then(
          () => 'answered',
          (e: unknown) => e,
        );
      await waitFor(async () => ((await stats()).streamsOpen === 1 ? true : undefined), 3000, 'the stream');
      controller.abort();
      assert.ok((await pending) instanceof OpenAI.APIUserAbortError);
      const started = performance.now();
      await settled();
      assert.ok(performance.now() - started < 3000);
      assert.equal((await usage('leave-early')).abandoned, 1);
    });
  });

  describe('any other path', () => {
    it('answers 200 JSON after the profile delay, whatever the method, body or query', async () => {
      await setProfile({ slot: 'any', delay: 0.3, tokens: 1, interval: 0 });
      const get = await request(`${base()}/anything/v2/items?id=7&delay=9`);
      assert.equal(get.status, 200);
      assert.deepEqual(get.body, { delay: 0.3, method: 'GET', path: '/anything/v2/items' });
      assert.ok(get.ms >= 290 && get.ms < 2000, `answered after ${get.ms.toFixed(0)} ms`);
      const put = await request(`${base()}/orders/1`, { method: 'PUT', body: '{"not": "read"' });
      assert.equal(put.status, 200);
      assert.deepEqual(put.body, { delay: 0.3, method: 'PUT', path: '/orders/1' });
    });
  });

  describe('the IO profile', () => {
    it('switches what a call naming no delay waits, for the chat and for any path', async () => {
      await setProfile({ slot: 'slow', delay: 0.4, tokens: 3, interval: 0.1 });
      const t0 = performance.now();
      await client().chat.completions.create({ model: 'm', messages: MESSAGES });
      const plain = performance.now() - t0;
      // A plain completion costs what the same answer streamed would: delay + (tokens - 1)·interval.
      assert.ok(plain >= 590 && plain < 2600, `plain completion after ${plain.toFixed(0)} ms`);
      await setProfile({ slot: 'fast', delay: 0, tokens: 3, interval: 0 });
      const fast = await request(`${base()}/anything`);
      assert.equal(fast.body.delay, 0);
      assert.ok(fast.ms < 1500, `answered after ${fast.ms.toFixed(0)} ms`);
      const t1 = performance.now();
      await client().chat.completions.create({ model: 'm', messages: MESSAGES });
      assert.ok(performance.now() - t1 < plain, 'the fast slot is faster than the slow one');
    });

    it('draws the n-th call of a slot with seed + n, as the suite seeds its n-th request', async () => {
      const profile = {
        slot: 'llm',
        delay: 0.01,
        dist: 'lognormal',
        sigma: 0.6,
        seed: 5,
        tokens: 1,
        interval: 0,
      };
      await setProfile(profile);
      const expected = [0, 1, 2, 3].map((n) => drawDelay(nthDraw(parseProfile(profile), n)));
      const got: unknown[] = [];
      for (let n = 0; n < 4; n++) got.push((await request(`${base()}/anything`)).body.delay);
      assert.deepEqual(got, expected);
      assert.equal(expected[0], drawDelay({ delay: 0.01, dist: 'lognormal', sigma: 0.6, seed: 5 }));
      assert.equal(new Set(expected).size, 4, 'four different draws');
      // Set again, the slot starts over: the same delays in the same order.
      await setProfile(profile);
      assert.equal((await request(`${base()}/anything`)).body.delay, expected[0]);
    });

    it('reads back what was set, defaults filled in', async () => {
      await setProfile({ slot: 'read-back', delay: 0.5 });
      const { status, body } = await request(`${base()}/profile`);
      assert.equal(status, 200);
      assert.deepEqual(body, { slot: 'read-back', delay: 0.5, dist: 'fixed', tokens: 16, interval: 0 });
    });

    it('refuses a bad profile with a 400 naming the field, and keeps the one in force', async () => {
      await setProfile({ slot: 'kept', delay: 0.2 });
      const cases: Array<[string, string]> = [
        ['{"slot":"x","delay":61}', "delay must be a number between 0 and 60, got '61'"],
        ['{"slot":"x","delay":"0.5"}', `delay must be a number between 0 and 60, got '"0.5"'`],
        ['{"slot":"x"}', 'delay is required: a number between 0 and 60 (seconds)'],
        ['{"delay":1}', 'slot must be a string of 1 to 200 printable ASCII characters, got nothing'],
        ['{"slot":"","delay":1}', 'slot must be a string of 1 to 200 printable ASCII characters, got ""'],
        [
          '{"slot":"x","delay":1,"dist":"normal"}',
          "dist must be one of fixed, exponential, lognormal, got 'normal'",
        ],
        ['{"slot":"x","delay":1,"sigma":4}', "sigma must be a number between 0 and 3, got '4'"],
        ['{"slot":"x","delay":1,"seed":-1}', "seed must be an integer between 0 and 4294967295, got '-1'"],
        ['{"slot":"x","delay":1,"tokens":0}', "tokens must be an integer between 1 and 10000, got '0'"],
        ['{"slot":"x","delay":1,"interval":11}', "interval must be a number between 0 and 10, got '11'"],
        [
          '{"slot":"x","delay":1,"delaySeconds":1}',
          "unknown profile field 'delaySeconds'; fields are slot, delay, dist, sigma, seed, tokens, interval",
        ],
        [
          '[1]',
          'the profile must be a JSON object with fields slot, delay, dist, sigma, seed, tokens, interval',
        ],
        ['{', "request body is not valid JSON: Expected property name or '}' in JSON at position 1"],
      ];
      for (const [body, error] of cases) {
        const reply = await request(`${base()}/profile`, { method: 'PUT', body });
        assert.equal(reply.status, 400, body);
        assert.deepEqual(reply.body, { error }, body);
      }
      assert.equal((await request(`${base()}/profile`)).body.slot, 'kept');
      const del = await request(`${base()}/profile`, { method: 'DELETE' });
      assert.equal(del.status, 405);
      assert.equal(del.headers.allow, 'GET, HEAD, PUT');
    });
  });

  describe('per-slot IO accounting', () => {
    it('counts each slot its served calls and their summed waits, exactly', async () => {
      await setProfile({ slot: 'acct-a', delay: 0.05, tokens: 4, interval: 0.01 });
      await request(`${base()}/anything/1`);
      await request(`${base()}/anything/2`, { method: 'POST', body: 'x' });
      await client().chat.completions.create({ model: 'm', messages: MESSAGES });
      for await (const _ of await client().chat.completions.create({
        model: 'm',
        messages: MESSAGES,
        stream: true,
      }));
      await request(`${base()}/io?delay=0.02`);
      await request(`${base()}/stream?tokens=3&interval=0.01&delay=0.01`);
      // Not IO calls: refused bodies, the model list, the upstream's own reports.
      await post('/v1/chat/completions', '{}');
      await client().models.list();
      await stats();
      await request(`${base()}/health`);
      const a = await usage('acct-a');
      // 2 × 0.05 (any path) + 2 × (0.05 + 3 × 0.01) (completions) + 0.02 (/io) + (0.01 + 2 × 0.01) (/stream)
      assert.deepEqual(a, { slot: 'acct-a', calls: 6, ioSeconds: 0.31, abandoned: 0, inFlight: 0 });

      await setProfile({ slot: 'acct-b', delay: 0, tokens: 1, interval: 0 });
      for (let i = 0; i < 3; i++) await request(`${base()}/anything`);
      assert.deepEqual(await usage('acct-b'), {
        slot: 'acct-b',
        calls: 3,
        ioSeconds: 0,
        abandoned: 0,
        inFlight: 0,
      });
      assert.deepEqual(await usage('acct-a'), a, 'a finished slot keeps its counts');

      const all = (await request(`${base()}/profile/usage`)).body.slots as Array<{ slot: string }>;
      assert.deepEqual(
        all.filter((s) => s.slot.startsWith('acct-')).map((s) => s.slot),
        ['acct-a', 'acct-b'],
      );
    });

    it('counts a call under the slot it arrived in, even when it ends in the next', async () => {
      await setProfile({ slot: 'edge-1', delay: 0.5, tokens: 1, interval: 0 });
      const pending = request(`${base()}/anything`);
      await waitFor(
        async () => ((await usage('edge-1')).inFlight === 1 ? true : undefined),
        3000,
        'the call',
      );
      await setProfile({ slot: 'edge-2', delay: 0, tokens: 1, interval: 0 });
      assert.equal((await pending).body.delay, 0.5);
      assert.equal((await usage('edge-1')).calls, 1);
      assert.equal((await usage('edge-2')).calls, 0);
    });

    it('answers 404 for a slot never set', async () => {
      const reply = await request(`${base()}/profile/usage?slot=never`);
      assert.equal(reply.status, 404);
      assert.deepEqual(reply.body, { error: "no slot 'never': set it with PUT /profile first" });
    });
  });
});

describe('a stream the client left, seen from inside the upstream', () => {
  // In this process, so its timers can be counted: a stream's clock must stop with its client,
  // not tick on for the 1000 tokens nobody reads. The raw client below sets no timer of its own.
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('stops the stream timer when the client leaves', async (t) => {
    const server = createUpstreamServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;
    const put = JSON.stringify({ slot: 'timers', delay: 0, tokens: 1000, interval: 0.05 });
    await request(`${base}/profile`, { method: 'PUT', body: put });
    const before = timers();
    const body = JSON.stringify({ messages: MESSAGES, stream: true });
    const req = http.request(`${base}/v1/chat/completions`, { method: 'POST', agent: false });
    const firstEvent = new Promise<void>((resolve, reject) => {
      req.on('response', (res) => res.once('data', () => resolve()));
      req.on('error', reject);
    });
    req.end(body);
    await firstEvent;
    assert.equal(timers(), before + 1, 'the stream runs on one timer');
    req.on('error', () => {});
    req.destroy();
    await waitFor(async () => (timers() === before ? true : undefined), 3000, 'the stream timer to stop');
  });
});
