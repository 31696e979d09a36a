// Configuration of every server, read once from the environment. Ports and defaults come from
// lib/registry.ts; this file only adds the knobs that exist on the server side.

import os from 'node:os';
import { DEFAULT_HOST, type NodeTargetName, TARGETS, UPSTREAM } from '../../lib/registry.ts';

export type ServiceName = 'upstream' | NodeTargetName;

export interface ServerConfig {
  readonly name: ServiceName;
  readonly host: string;
  /** 0 asks the OS for a free port (tests, the launcher). */
  readonly port: number;
  readonly upstreamUrl: string;
  /** Workers of the sync server; the async servers have one process. */
  readonly syncWorkers: number;
  /** Processes of an async cluster (fastify-cluster): ASYNC_PROCESSES, default the CPU count. */
  readonly asyncProcesses: number;
  /** Time allowed beyond the requested delay before an upstream call gives up with 504. */
  readonly upstreamTimeoutMs: number;
}

export const DEFAULT_UPSTREAM_URL = `http://127.0.0.1:${UPSTREAM.port}`;
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 5000;

export function serviceSpec(name: ServiceName) {
  return name === 'upstream' ? UPSTREAM : TARGETS[name];
}

/** Throws a one-line Error naming the variable when a value is unusable (never a silent default). */
export function loadConfig(name: ServiceName, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const spec = serviceSpec(name);
  const upstreamUrl = env[UPSTREAM.urlEnv] || DEFAULT_UPSTREAM_URL;
  try {
    new URL(upstreamUrl);
  } catch {
    throw new Error(`${UPSTREAM.urlEnv} must be a URL, got '${upstreamUrl}'`);
  }
  return {
    name,
    host: env.HOST || DEFAULT_HOST,
    port: intFromEnv(env, spec.portEnv, spec.port, 0, 65535),
    upstreamUrl,
    syncWorkers: intFromEnv(env, 'SYNC_WORKERS', os.availableParallelism(), 1, 1024),
    asyncProcesses: intFromEnv(env, 'ASYNC_PROCESSES', os.availableParallelism(), 1, 1024),
    upstreamTimeoutMs: intFromEnv(env, 'UPSTREAM_TIMEOUT_MS', DEFAULT_UPSTREAM_TIMEOUT_MS, 1, 600_000),
  };
}

function intFromEnv(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${key} must be an integer between ${min} and ${max}, got '${raw}'`);
  }
  return value;
}
