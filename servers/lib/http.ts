// Small HTTP helpers for the places that answer without a framework: the upstream, the sync
// server's primary (which answers /stats on a raw socket) and malformed requests that never
// reach a framework.

import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
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
export function rawJsonResponse(status: number, body: unknown): string {
  const json = JSON.stringify(body);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    `Content-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`
  );
}

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

export function handleClientErrors(server: Server): Server {
  server.on('clientError', clientErrorResponse);
  return server;
}

/** Path without the query string, for the frameworks that do not split it for us. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
