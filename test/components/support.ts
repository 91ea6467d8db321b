/**
 * @module test/components/support
 * Shared helpers of the component tests: service URLs from the environment (a suite is skipped
 * with "skipped: set SWIRL_TEST_X_URL" when its variable is unset), unique names per run, and
 * temporary component folders.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/** The env variable of each real service the component tests talk to. */
export const SERVICE_ENV = {
  redis: 'SWIRL_TEST_REDIS_URL',
  postgres: 'SWIRL_TEST_PG_URL',
  rabbitmq: 'SWIRL_TEST_RABBITMQ_URL',
  mqtt: 'SWIRL_TEST_MQTT_URL',
  nats: 'SWIRL_TEST_NATS_URL',
} as const;

/** The service URL, or a skip reason for node:test's `skip` option. */
export function serviceUrl(service: keyof typeof SERVICE_ENV): { url: string; skip: false } | { url: ''; skip: string } {
  const name = SERVICE_ENV[service];
  const url = process.env[name];
  return url ? { url, skip: false } : { url: '', skip: `skipped: set ${name}` };
}

/** A name unique to this test run (letters, digits, underscore). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** One component as YAML text. */
export function componentYaml(name: string, type: string, metadata: Record<string, string | { secretKeyRef: { name: string; key?: string } }>, extra = ''): string {
  const lines = [`apiVersion: dapr.io/v1alpha1`, `kind: Component`, `metadata:`, `  name: ${name}`, `spec:`, `  type: ${type}`, `  version: v1`, `  metadata:`];
  for (const [k, v] of Object.entries(metadata)) {
    lines.push(`  - name: ${k}`);
    if (typeof v === 'string') lines.push(`    value: ${JSON.stringify(v)}`);
    else lines.push(`    secretKeyRef:`, `      name: ${v.secretKeyRef.name}`, ...(v.secretKeyRef.key ? [`      key: ${v.secretKeyRef.key}`] : []));
  }
  if (Object.keys(metadata).length === 0) lines[lines.length - 1] = '  metadata: []';
  return lines.join('\n') + '\n' + extra;
}

/** A temporary folder holding the given files; `cleanup` removes it. */
export async function componentDir(files: Record<string, string>): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'swirl-components-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Resolves when `cond()` is true, polling every 20 ms; rejects after `ms`. */
export async function waitFor(cond: () => boolean, ms = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves once 127.0.0.1:`port` accepts a TCP connection (a server the test started), polling every 100 ms for 30 s. */
export async function untilListening(port: number, what: string): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => (s.end(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `redis://host:port` → `host:port` (Dapr's redisHost form). */
export function redisHostOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '6379'}`;
}
