import { spawnSync } from 'node:child_process';

/**
 * `npm run deploy -- --stage prod [--region eu-west-1] [--param="key=value" ...]`: `serverless deploy`,
 * then `serverless invoke -f migrate` with the same options, so that a deploy ends with the schema
 * migrated. The migrations may run beside the live service (locks kept short, indexes built
 * CONCURRENTLY) and twice (an advisory lock serialises runs, applied ones are skipped). Stops at the
 * first failure with its exit code; a failed migration leaves the new code deployed on the old schema,
 * which every migration here is written to allow (docs/deploy.md).
 */
const SERVERLESS_BIN = require.resolve('osls/bin/serverless.js');
const options = process.argv.slice(2);

function serverless(args: string[]): void {
  console.log(`\n> serverless ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [SERVERLESS_BIN, ...args], { stdio: 'inherit', env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

serverless(['deploy', ...options]);
serverless(['invoke', '--function', 'migrate', '--log', ...options]);
