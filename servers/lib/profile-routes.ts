// The upstream's profile routes: PUT /profile starts a slot with the IO profile that calls naming
// no delay get, GET /profile reads it, GET /profile/usage reads what each slot was served.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { queryOf, sendJson } from './http.ts';
import { HttpError } from './http-error.ts';
import type { IoLedger } from './io-ledger.ts';
import { parseProfile } from './io-profile.ts';
import { readJson } from './read-body.ts';

export const PROFILE_PATHS = ['/profile', '/profile/usage'];

/** A profile is a handful of fields; anything larger is not one. */
const MAX_PROFILE_BODY_BYTES = 16 * 1024;

export async function profileRoute(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  ledger: IoLedger,
) {
  const read = req.method === 'GET' || req.method === 'HEAD';
  if (path === '/profile/usage') {
    if (!read) throw notAllowed(req.method, path, 'GET, HEAD');
    const { slot } = queryOf(req.url ?? '');
    if (slot === undefined) return sendJson(res, 200, { slots: ledger.all() });
    if (typeof slot !== 'string') throw new HttpError(400, 'slot must be given once');
    const usage = ledger.usage(slot);
    if (!usage) throw new HttpError(404, `no slot '${slot.slice(0, 200)}': set it with PUT /profile first`);
    return sendJson(res, 200, usage);
  }
  if (read) return sendJson(res, 200, ledger.profile);
  if (req.method !== 'PUT') throw notAllowed(req.method, path, 'GET, HEAD, PUT');
  const profile = parseProfile(await readJson(req, MAX_PROFILE_BODY_BYTES));
  ledger.start(profile);
  sendJson(res, 200, profile);
}

function notAllowed(method: string | undefined, path: string, allow: string): HttpError {
  return new HttpError(405, `method ${String(method).slice(0, 40)} is not allowed on ${path}; use ${allow}`, {
    Allow: allow,
  });
}
