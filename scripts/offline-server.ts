import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDevKey, mintDevToken } from './dev-auth';
import { freePort } from './free-port';

export interface OfflineServer {
  baseUrl: string;
  /** Mints a development token the server accepts, as `npm run token` does. */
  token(scopes: string[], schools?: string[]): Promise<string>;
  /** The development signing key the server verifies tokens against (for a local token endpoint). */
  keyFile: string;
  stop(): Promise<void>;
}

const SERVERLESS_BIN = require.resolve('osls/bin/serverless.js');

/**
 * Starts `serverless offline` (the same command `npm start` runs) on free ports against DATABASE_URL (a test worker's
 * database, or a benchmark's), and resolves once it prints that it is ready: for the end-to-end tests and bench:roundtrip.
 */
export async function startOffline(env: Record<string, string> = {}): Promise<OfflineServer> {
  // A free port can be taken by another test's server before serverless-offline binds it: try again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOfflineOnce(env);
    } catch (error) {
      if (attempt === 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

async function startOfflineOnce(env: Record<string, string>): Promise<OfflineServer> {
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  const keyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'roster-offline-')), 'dev-signing-key.json');
  const publicJwk = JSON.stringify((await loadDevKey(keyFile)).publicJwk);
  // Bound to 127.0.0.1, where the tests connect: on `localhost` (::1 first on Node 20) another server
  // could hold the same port number on 127.0.0.1 and answer in its place.
  // --noTimeout: serverless-offline's own 10 s function timeout counts a handler's first load, which on
  // a machine busy with the rest of the suite can exceed it; it then answers 200 with a timeout error
  // and kills the handler, whatever the request did. The service's own deadline (middy's early timeout,
  // a 503) is tested in-process; jest's test timeout still bounds a request here.
  const args = [SERVERLESS_BIN, 'offline', 'start', '--host', '127.0.0.1', '--noTimeout', '--param=rosterSyncEnabled=false'];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: {
      ...process.env,
      PORT: String(httpPort),
      LAMBDA_PORT: String(lambdaPort),
      AWS_EC2_METADATA_DISABLED: 'true',
      // Not the default build folder, which the packaging tests' `serverless package` would wipe mid-run,
      // and one per jest worker: two end-to-end files building into one folder at once broke each other.
      ESBUILD_WORK_FOLDER: `.esbuild-test-offline-${process.env.JEST_WORKER_ID ?? 'bench'}`,
      SLS_TELEMETRY_DISABLED: '1',
      AUTH_LOCAL_PUBLIC_JWK: publicJwk,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serverless offline did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Server ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serverless offline exited with ${code}:\n${output}`));
    });
  });
  return {
    baseUrl: `http://127.0.0.1:${httpPort}`,
    token: (scopes, schools) => mintDevToken({ scopes, schools, keyFile }),
    keyFile,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
}
