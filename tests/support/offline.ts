import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../scripts/free-port';

export interface OfflineServer {
  baseUrl: string;
  stop(): Promise<void>;
}

const SERVERLESS_BIN = require.resolve('osls/bin/serverless.js');

/**
 * Starts `serverless offline` (the same command `npm start` runs) on free ports against the worker's
 * database, and resolves once it prints that it is ready.
 */
export async function startOffline(env: Record<string, string> = {}): Promise<OfflineServer> {
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(process.execPath, [SERVERLESS_BIN, 'offline', 'start'], {
    env: {
      ...process.env,
      PORT: String(httpPort),
      LAMBDA_PORT: String(lambdaPort),
      AWS_EC2_METADATA_DISABLED: 'true',
      SLS_TELEMETRY_DISABLED: '1',
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
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
}
