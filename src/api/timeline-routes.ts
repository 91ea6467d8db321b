/**
 * @module api/timeline-routes
 * The state-level routes of `/api/v1/instances/{id}` (specs/timeline.md): the timeline, paged,
 * and rerun. The current states are part of GET /api/v1/instances/{id} (swirl-routes.ts).
 */
import { SwirlError } from '../errors.js';
import type { SwirlHost } from '../host/host.js';
import { InstanceViewErrorCode, instanceTimeline, rerun } from '../host/instance-view.js';
import { HttpError, json } from './http-error.js';
import type { Router } from './router.js';
import { readJsonObject } from './swirl-routes.js';

/** Default and largest page of the timeline. */
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

function parseLimit(value: string | null): number {
  if (value === null || value === '') return DEFAULT_LIMIT;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new HttpError(400, 'ERR_BAD_REQUEST', `limit must be an integer from 1 to ${MAX_LIMIT}, not '${value}'`);
  return n;
}

function parsePageToken(value: string | null): number {
  if (value === null || value === '') return 0;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new HttpError(400, 'ERR_BAD_REQUEST', `pageToken '${value}' is not a token this server returned`);
  return n;
}

/** This module's SwirlError codes as HTTP errors (the rest go to the shared error map). */
function mapped(err: unknown): unknown {
  if (!(err instanceof SwirlError)) return err;
  switch (err.code) {
    case InstanceViewErrorCode.RERUN_POINT_INVALID:
      return new HttpError(400, 'ERR_RERUN_POINT_INVALID', err.message);
    case InstanceViewErrorCode.RERUN_SOURCE_RUNNING:
      return new HttpError(409, 'ERR_INSTANCE_NOT_TERMINAL', err.message);
    case 'ORCHESTRATION_NOT_REGISTERED':
      // The definition version the instance ran is not loaded in this server: nothing to replay.
      return new HttpError(409, 'ERR_DEFINITION_NOT_LOADED', err.message);
    default:
      return err;
  }
}

/** Registers the timeline and rerun routes. */
export function registerTimelineRoutes(router: Router, host: SwirlHost): void {
  router.on('GET', '/api/v1/instances/:id/timeline', async (_req, p, url) => {
    const limit = parseLimit(url.searchParams.get('limit'));
    const from = parsePageToken(url.searchParams.get('pageToken'));
    try {
      return json(200, await instanceTimeline(host.engine, host.client.visible(p.id!), { limit, from }));
    } catch (err) {
      throw mapped(err);
    }
  });

  router.on('POST', '/api/v1/instances/:id/rerun', async (req, p) => {
    const body = await readJsonObject(req);
    const fromState = body.fromState;
    if (typeof fromState !== 'string' || fromState === '') throw new HttpError(400, 'ERR_BAD_REQUEST', 'fromState (a state name) is required');
    const instanceId = body.instanceID;
    if (instanceId !== undefined && typeof instanceId !== 'string') throw new HttpError(400, 'ERR_BAD_REQUEST', 'instanceID must be a string');
    try {
      const traceparent = req.headers.get('traceparent') ?? undefined;
      const id = await rerun(host.engine, host.client.visible(p.id!), {
        fromState,
        ...(body.input !== undefined ? { input: body.input } : {}),
        ...(instanceId !== undefined ? { instanceId } : {}),
        ...(traceparent !== undefined ? { traceparent } : {}),
      });
      return json(202, { instanceID: id, rerunOf: p.id, fromState });
    } catch (err) {
      throw mapped(err);
    }
  });
}
