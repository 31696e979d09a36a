// The LLM gateway of ../flask_app.py, as it is commonly written in Node: Express and the official
// `openai` SDK. POST /ask answers with one chat completion; POST /ask/stream relays its tokens as
// server-sent events. One process waits on any number of completions at once.
//
//   OPENAI_BASE_URL=http://127.0.0.1:8001/v1 PORT=9003 node server.js

import express from 'express';
import OpenAI from 'openai';

const openai = new OpenAI({
  // The benchmark's upstream by default; in production, unset it (the SDK's default is OpenAI's)
  // and give a real key.
  baseURL: process.env.OPENAI_BASE_URL || 'http://127.0.0.1:8001/v1',
  apiKey: process.env.OPENAI_API_KEY || 'not-needed-by-the-benchmark-upstream',
  timeout: Number(process.env.OPENAI_TIMEOUT || 120) * 1000,
});
const model = process.env.OPENAI_MODEL || 'gpt-4o-mini';

const app = express();
// Neither is work the Python gateways do per request.
app.disable('x-powered-by');
app.disable('etag');
app.use(express.json());

/** The messages for the posted {"question": ...}, or undefined when there is none. */
function messagesOf(body) {
  const question = body?.question;
  if (typeof question !== 'string' || question.trim() === '') return undefined;
  return [{ role: 'user', content: question }];
}

const badRequest = (res) => res.status(400).json({ error: 'send a JSON body {"question": "..."}' });
const llmError = (res, err) => res.status(502).json({ error: `the LLM API failed: ${err.message}` });

app.post('/ask', async (req, res) => {
  const messages = messagesOf(req.body);
  if (!messages) return badRequest(res);
  let completion;
  try {
    completion = await openai.chat.completions.create({ model, messages });
  } catch (err) {
    return llmError(res, err);
  }
  res.json({ answer: completion.choices[0]?.message.content ?? '', usage: completion.usage });
});

app.post('/ask/stream', async (req, res) => {
  const messages = messagesOf(req.body);
  if (!messages) return badRequest(res);
  let stream;
  try {
    stream = await openai.chat.completions.create({ model, messages, stream: true });
  } catch (err) {
    return llmError(res, err);
  }
  // A client that leaves ends the completion too: no tokens generated for nobody.
  res.on('close', () => stream.controller.abort());
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  try {
    for await (const chunk of stream) {
      const token = chunk.choices[0]?.delta?.content;
      if (token) res.write(`data: ${JSON.stringify({ token })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  } catch (err) {
    // Headers are sent: a cut stream is the only way left to say it failed.
    res.destroy(err);
  }
});

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 9003);
app.listen(port, host, (err) => {
  if (err) throw err;
  console.log(`llm-gateway (express) listening on http://${host}:${port}`);
});
