// A request's JSON body, bounded, for the upstream's routes that take one (a chat completion, a
// profile). Plain node:http: no framework parses it for us.

import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.ts';

/**
 * The parsed JSON body; 400 when it is not JSON, 413 when it is longer than `maxBytes`. A body
 * too long is read to its end and dropped before the 413: answered while the client still
 * sends, Node closes the connection and a client still writing (Python's requests, Node's http)
 * meets EPIPE instead of the answer. Settles never if the client leaves.
 */
export function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > maxBytes) {
        reject(new HttpError(413, `request body must be at most ${maxBytes} bytes, got ${size}`));
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        const why = text.trim() === '' ? 'it is empty' : (err as Error).message;
        reject(new HttpError(400, `request body is not valid JSON: ${why}`));
      }
    });
  });
}
