import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import JSZip from 'jszip';

const ROOT = path.resolve(__dirname, '../..');

/** A credential in the packaging environment that nothing may copy into the output. */
export const CANARY = 'canary-Pa55w0rd-6f1c1c4e';

/** The params of each database mode; `existing` names a database that exists elsewhere. */
export const MODE_PARAMS = {
  create: {},
  existing: {
    databaseMode: 'existing',
    dbHost: 'roster.proxy-c0ffee.eu-west-1.rds.amazonaws.com',
    dbSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:roster/prod/database-AbCdEf',
    dbSecurityGroupId: 'sg-0123456789abcdef0',
    privateSubnetIds: 'subnet-0aaaaaaaaaaaaaaaa,subnet-0bbbbbbbbbbbbbbbb',
  },
} as const;
type DatabaseMode = keyof typeof MODE_PARAMS;

/** Packages besides the database modes: `create` mode with other params. */
export const VARIANT_PARAMS = {
  // docs/operations.md#provisioned-concurrency: two provisioned environments of the list function.
  provisioned: { listProvisionedConcurrency: '2' },
} as const;
type PackageName = DatabaseMode | keyof typeof VARIANT_PARAMS;
const PACKAGE_PARAMS: Record<PackageName, Record<string, string>> = { ...MODE_PARAMS, ...VARIANT_PARAMS };

export interface PackagedService {
  template: any;
  /** The template, the serverless state and every file of every zip, as text. */
  texts: { name: string; text: string }[];
}

function runPackage(out: string, params: Record<string, string>, workFolder: string): Promise<void> {
  const args = ['package', '--package', out, ...Object.entries(params).map(([key, value]) => `--param=${key}=${value}`)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('osls/bin/serverless.js'), ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        AWS_EC2_METADATA_DISABLED: 'true',
        SLS_TELEMETRY_DISABLED: '1',
        // Its own build folder: the default one is where serverless offline (the e2e tests) loads handlers.
        ESBUILD_WORK_FOLDER: workFolder,
        PGPASSWORD: CANARY,
        DB_PASSWORD: CANARY,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`serverless package exited ${code}:\n${output}`));
    });
  });
}

/**
 * `serverless package` in one database mode (or variant), run once per test run whichever test file asks first (it
 * takes ~25 s): the other files wait for its output in TEST_RUN_DIR.
 */
export async function packagedService(mode: PackageName): Promise<PackagedService> {
  const runDir = process.env.TEST_RUN_DIR;
  if (!runDir) throw new Error('TEST_RUN_DIR is not set: run the tests through jest (npm test)');
  const out = path.join(runDir, `package-${mode}`);
  const done = path.join(runDir, `package-${mode}.done`);
  const failed = path.join(runDir, `package-${mode}.failed`);
  let owner = true;
  try {
    mkdirSync(out);
  } catch {
    owner = false;
  }
  if (owner) {
    // Two packages at once would share serverless-esbuild's .esbuild/ build directory: one at a time.
    const lock = path.join(runDir, 'package.lock');
    for (;;) {
      try {
        mkdirSync(lock);
        break;
      } catch {
        await sleep(500);
      }
    }
    try {
      await runPackage(out, PACKAGE_PARAMS[mode], `.esbuild-test-package-${mode}`);
      writeFileSync(done, '');
    } catch (error) {
      writeFileSync(failed, String(error));
      throw error;
    } finally {
      rmdirSync(lock);
    }
  } else {
    for (let waited = 0; !existsSync(done); waited += 500) {
      if (existsSync(failed)) throw new Error(readFileSync(failed, 'utf8'));
      if (waited > 580_000) throw new Error(`timed out waiting for serverless package (${mode})`);
      await sleep(500);
    }
  }

  const templateText = readFileSync(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8');
  const texts = [
    { name: 'template', text: templateText },
    { name: 'state', text: readFileSync(path.join(out, 'serverless-state.json'), 'utf8') },
  ];
  for (const zipName of readdirSync(out).filter((file) => file.endsWith('.zip'))) {
    const zip = await JSZip.loadAsync(readFileSync(path.join(out, zipName)));
    for (const file of Object.values(zip.files).filter((entry) => !entry.dir)) {
      texts.push({ name: `${zipName}:${file.name}`, text: await file.async('string') });
    }
  }
  return { template: JSON.parse(templateText), texts };
}
