// Small HTTP helpers for the places that answer without a framework: the upstream, the sync
// server's primary (which answers /stats on a raw socket) and malformed requests that never
// reach a framework.

import {
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Socket } from 'node:net';
import { URLSearchParams } from 'node:url';
import { toErrorResponse } from './http-error.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const { status, headers, body } = toErrorResponse(err);
  sendJson(res, status, body, headers);
}

/** A complete HTTP/1.1 response with a JSON body, for writing straight onto a socket; always closes. */
export function rawJsonResponse(
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): string {
  const json = JSON.stringify(body);
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${extra.join('')}` +
    `Content-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`
  );
}

/**
 * Options of every node:http server here. Node would answer an HTTP/1.1 request without a Host
 * header itself, with a bare 400 and no `{error}`; the servers never read Host, so such a request
 * is served like an HTTP/1.0 one without Host already is (Gunicorn does not require it either).
 */
export const SERVER_OPTIONS: ServerOptions = { requireHostHeader: false };

/**
 * Requests Node's parser rejects (malformed, headers too large) get the same `{error}` shape as
 * everything else instead of Node's bare "400 Bad Request".
 */
export function clientErrorResponse(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  socket.end(rawJsonResponse(status, { error: `malformed request: ${err.code ?? err.message}` }));
}

/**
 * Requests that Node answers on its own unless someone listens get `{error}` too: CONNECT (Node
 * would drop the connection without a word) and an `Expect` other than 100-continue (a bare 417).
 * Both close the connection, so a sync worker is free again at once.
 */
export function answerNodeRejections(server: Server): Server {
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    socket.on('error', () => {});
    socket.end(
      rawJsonResponse(405, { error: 'method CONNECT is not allowed; use GET' }, { Allow: 'GET, HEAD' }),
    );
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const expect = String(req.headers.expect).slice(0, 40);
    sendJson(
      res,
      417,
      { error: `Expect: ${expect} is not supported (only 100-continue)` },
      { Connection: 'close' },
    );
  });
  return server;
}

export function handleClientErrors(server: Server): Server {
  server.on('clientError', clientErrorResponse);
  return answerNodeRejections(server);
}

/**
 * A request target split as the frameworks' parser (parseurl) splits it, so the servers without
 * a framework route the same requests: the fragment is dropped (`/io?delay=1#x` asks for delay
 * 1), and an absolute-form target (`GET http://host/health`, valid HTTP/1.1, what a proxy sends)
 * is routed by its path.
 */
export function splitTarget(target: string): { path: string; search: string } {
  const hash = target.indexOf('#');
  let rest = hash === -1 ? target : target.slice(0, hash);
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i.exec(rest);
  if (absolute) rest = rest.slice(absolute[0].length) || '/';
  const q = rest.indexOf('?');
  return q === -1 ? { path: rest, search: '' } : { path: rest.slice(0, q), search: rest.slice(q + 1) };
}

/** Path without the query string, for the servers that have no framework to split it. */
export function pathOf(req: IncomingMessage): string {
  return splitTarget(req.url ?? '/').path;
}

/** Query values, a repeated key as an array: the shape the frameworks hand the shared parsers. */
export function queryOf(url: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(splitTarget(url).search)) {
    const seen = out[key];
    out[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return out;
}
