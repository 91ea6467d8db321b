/**
 * @module test/durability/pg-cluster
 * A PostgreSQL cluster of the test's own (Debian's `pg_createcluster`, on a free port, trust auth),
 * so that a chaos test can restart PostgreSQL (`pg_ctlcluster … restart`) without disturbing the
 * shared server at 5432 that other suites use. Needs root (the cluster runs as user postgres) and
 * the postgresql-common tools; `pgClusterSkipReason` says why not when they are missing.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { freePort } from '../host/free-port.js';

const CONF_DIR = '/etc/postgresql';

function tool(name: string): boolean {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The installed major version (the newest under /etc/postgresql), if any. */
function majorVersion(): string | undefined {
  if (!existsSync(CONF_DIR)) return undefined;
  return readdirSync(CONF_DIR).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))[0];
}

/** Why the cluster cannot be made here, or false. */
export const pgClusterSkipReason: string | false =
  process.getuid?.() !== 0 ? 'needs root to create a PostgreSQL cluster'
  : !tool('pg_createcluster') || !tool('pg_ctlcluster') ? 'postgresql-common (pg_createcluster, pg_ctlcluster) is not installed'
  : majorVersion() === undefined ? `no PostgreSQL version under ${CONF_DIR}`
  : false;


/** A running cluster: its connection URL, restart and drop. */
export interface PgCluster {
  url: string;
  /** `pg_ctlcluster <v> <name> restart` (fast shutdown: open connections are cut). */
  restart(): void;
  drop(): void;
}

/** Creates and starts a fresh cluster `name` (an old one of that name is dropped first). */
export async function createPgCluster(name: string): Promise<PgCluster> {
  const version = majorVersion()!;
  const port = await freePort();
  const run = (cmd: string, args: string[]): void => {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const drop = (): void => {
    try {
      run('pg_dropcluster', ['--stop', version, name]);
    } catch {
      // not there
    }
  };
  drop();
  run('pg_createcluster', ['-p', String(port), '--start-conf', 'manual', version, name, '--', '--auth=trust', '--no-sync']);
  run('pg_ctlcluster', ['--skip-systemctl-redirect', version, name, 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => run('pg_ctlcluster', ['--skip-systemctl-redirect', '-m', 'fast', version, name, 'restart']),
    drop,
  };
}
