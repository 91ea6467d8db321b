/**
 * @module cli/commands/serve-logger
 * The log of `swirl serve`: pino on stderr, one JSON object a line (`--log-format json`, the
 * default: what log shippers parse) or human lines (`--log-format pretty`, pino-pretty), at
 * `--log-level`. The engine's `name` field (the orchestration name) is written as `workflow`, so
 * every line about an instance carries `instanceId`, `workflow` and, where known, `state` and
 * `traceId` under the same keys. Field names: specs/observability.md.
 */
import pino, { type Logger as PinoLogger } from 'pino';
import { createRequire } from 'node:module';
import type { Logger, LogMeta } from '../../index.js';

/** `--log-format` values. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** `--log-level` values, most verbose first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The pino instance and the engine-facing adapter over it. */
export interface ServeLog {
  logger: Logger;
  /** The access log: the same stream, `component: 'http'`. */
  access: Logger;
  /** Writes buffered lines out (before exit). */
  flush(): void;
}

/** Renames the engine's `name`/`orchestration` (the orchestration name) to `workflow`; drops undefined fields. */
function fields(meta: LogMeta | undefined): LogMeta {
  if (!meta) return {};
  const out: LogMeta = {};
  for (const [k, v] of Object.entries(meta)) {
    if (v === undefined) continue;
    out[k === 'name' || k === 'orchestration' ? 'workflow' : k] = v;
  }
  return out;
}

function adapt(p: PinoLogger): Logger {
  // The level is checked before the fields are copied: at `--log-level warn` the engine's
  // per-state info lines are dropped without building anything (pino only skips the write).
  return {
    debug: (msg, meta) => {
      if (p.isLevelEnabled('debug')) p.debug(fields(meta), msg);
    },
    info: (msg, meta) => {
      if (p.isLevelEnabled('info')) p.info(fields(meta), msg);
    },
    warn: (msg, meta) => {
      if (p.isLevelEnabled('warn')) p.warn(fields(meta), msg);
    },
    error: (msg, meta) => p.error(fields(meta), msg),
  };
}

/** Creates the serve log on stderr (synchronous writes: no line is lost when the process exits). */
export function createServeLog(format: LogFormat, level: LogLevel, appId: string): ServeLog {
  // pino-pretty (CommonJS) is required only for --log-format pretty (issue 12: start-up CPU).
  const stream = format === 'pretty' ? (createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty'))({ destination: 2, sync: true, colorize: false, translateTime: 'SYS:standard', ignore: 'pid,hostname,app' }) : pino.destination({ fd: 2, sync: true });
  const root = pino(
    {
      level,
      base: { app: appId, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names, not numbers: `"level":"warn"` reads and greps better than 40.
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  return {
    logger: adapt(root),
    access: adapt(root.child({ component: 'http' })),
    flush: () => root.flush(),
  };
}
