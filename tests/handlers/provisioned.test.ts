import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { buildFunctions } from '../../bench/support/build';
import { resetDatabase, withClient } from '../support/db';
import { httpEvent, lambdaContext } from '../support/events';

/**
 * docs/operations.md#provisioned-concurrency: a provisioned environment opens its connection during init,
 * and its bundle holds Lambda's init phase until that is done; an on-demand one opens nothing before its
 * first request.
 */
type Handler = ((event: unknown, context: Context) => Promise<{ statusCode: number }>) & { ready?: Promise<void> };

const ROOT = path.resolve(__dirname, '../..');

/** A fresh module registry is a fresh Lambda container, loaded with `env` set. */
interface ListContainer {
  handler: Handler;
  close(): Promise<void>;
  /** The pool's idle timeout, ms. */
  poolIdle(): number | undefined;
}

function loadList(env: Record<string, string>): ListContainer {
  let container!: ListContainer;
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    jest.isolateModules(() => {
      const db = require('../../shared/db/sequelize') as typeof import('../../shared/db/sequelize');
      container = { handler: require('../../functions/list').handler, close: db.closeConnections, poolIdle: () => (db.getSequelize() as unknown as { options: { pool?: { idle?: number } } }).options.pool?.idle };
    });
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  return container;
}

let since: Date;
const serviceConnections = () =>
  withClient(async (c) => {
    const { rows } = await c.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = 'school-roster' AND datname = current_database() AND backend_start >= $1`,
      [since],
    );
    return rows[0].n as number;
  });
const listUsers = () => httpEvent({ route: 'GET /users' });

beforeEach(async () => {
  await resetDatabase();
  since = await withClient(async (c) => (await c.query('SELECT now() AS now')).rows[0].now as Date);
});

describe('a provisioned environment (AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency)', () => {
  it('opens its connection at load, and its first request uses it', async () => {
    const { handler, close } = loadList({ AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency' });
    try {
      await handler.ready;
      const atInit = await serviceConnections();
      const reply = await handler(listUsers(), lambdaContext());

      expect({ atInit, status: reply.statusCode, afterFirstRequest: await serviceConnections() }).toEqual({ atInit: 1, status: 200, afterFirstRequest: 1 });
    } finally {
      await close();
    }
  });

  it('keeps an idle connection as long as RDS Proxy does (15 minutes), not the on-demand minute', async () => {
    const provisioned = loadList({ AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency' });
    const onDemand = loadList({ AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' });
    try {
      await provisioned.handler.ready;

      expect({ provisioned: provisioned.poolIdle(), onDemand: onDemand.poolIdle() }).toEqual({ provisioned: 900_000, onDemand: 60_000 });
    } finally {
      await provisioned.close();
      await onDemand.close();
    }
  });

  it('loads even when the database cannot be reached at init, and answers 503 until it can', async () => {
    const { handler, close } = loadList({
      AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency',
      DATABASE_URL: 'postgres://roster@127.0.0.1:9/roster',
      DB_CONNECT_TIMEOUT_MS: '500',
      DB_ACQUIRE_TIMEOUT_MS: '1000',
    });
    try {
      await expect(handler.ready).resolves.toBeUndefined();
      const reply = await handler(listUsers(), lambdaContext());

      expect(reply.statusCode).toBe(503);
    } finally {
      await close();
    }
  });
});

describe('an on-demand environment', () => {
  it('opens no connection before its first request', async () => {
    const { handler, close } = loadList({ AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' });
    try {
      const atLoad = await serviceConnections();
      const reply = await handler(listUsers(), lambdaContext());

      expect({ ready: handler.ready, atLoad, status: reply.statusCode, afterFirstRequest: await serviceConnections() }).toEqual({
        ready: undefined,
        atLoad: 0,
        status: 200,
        afterFirstRequest: 1,
      });
    } finally {
      await close();
    }
  });
});

/**
 * The deployed bundle as Lambda's runtime loads it: `require` inside an async function, its result
 * awaited (aws-lambda-nodejs-runtime-interface-client's UserFunction.js), then `.handler` read.
 */
const RUNTIME_LOADER = `
const pg = require('pg');
(async () => {
  const [bundle, eventJson] = process.argv.slice(1);
  const exported = require(bundle);
  const result = { exportsPromise: typeof exported.then === 'function', handlerBeforeInit: typeof exported.handler };
  const loaded = await exported;
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  const count = async () => (await client.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'school-roster' AND datname = current_database()")).rows[0].n;
  result.connectionsAfterInit = await count();
  const context = { functionName: 'list', awsRequestId: 'test', getRemainingTimeInMillis: () => 10000 };
  result.status = (await loaded.handler(JSON.parse(eventJson), context)).statusCode;
  result.connectionsAfterFirstRequest = await count();
  await client.end();
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe('the list function bundle, loaded as the Lambda runtime loads it', () => {
  let outdir: string;
  beforeAll(async () => {
    outdir = mkdtempSync(path.join(os.tmpdir(), 'roster-provisioned-'));
    await buildFunctions({ list: 'functions/list.ts' }, outdir);
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const load = (initializationType: string) => {
    const child = spawnSync(process.execPath, ['-e', RUNTIME_LOADER, path.join(outdir, 'list.js'), JSON.stringify(listUsers())], {
      cwd: ROOT,
      env: { ...process.env, AWS_LAMBDA_INITIALIZATION_TYPE: initializationType, NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(child.stderr);
    return JSON.parse(child.stdout) as Record<string, unknown>;
  };

  it('holds the init phase until a provisioned environment has its connection, and still exports the handler', () => {
    expect(load('provisioned-concurrency')).toEqual({
      exportsPromise: true,
      handlerBeforeInit: 'function',
      connectionsAfterInit: 1,
      status: 200,
      connectionsAfterFirstRequest: 1,
    });
  });

  it('exports the handler as it is on demand, with no connection before the first request', () => {
    expect(load('on-demand')).toEqual({
      exportsPromise: false,
      handlerBeforeInit: 'function',
      connectionsAfterInit: 0,
      status: 200,
      connectionsAfterFirstRequest: 1,
    });
  });
});
