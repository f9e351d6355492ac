import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * `serverless package` offline (no AWS account: the metadata lookup is disabled), then one line per
 * function zip with its size. Extra arguments go to serverless, e.g. `npm run package -- --stage prod`.
 */
const result = spawnSync(process.execPath, [require.resolve('osls/bin/serverless.js'), 'package', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', SLS_TELEMETRY_DISABLED: '1' },
  // osls can hang after printing a build error; nothing legitimate takes this long.
  timeout: 10 * 60_000,
});
if (result.status !== 0) process.exit(result.status ?? 1);

const dir = '.serverless';
const zips = readdirSync(dir).filter((file) => file.endsWith('.zip'));
console.table(
  zips.map((file) => ({ function: path.basename(file, '.zip'), 'size (KB)': Math.round(statSync(path.join(dir, file)).size / 102.4) / 10 })),
);
