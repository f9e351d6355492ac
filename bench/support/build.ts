import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import yaml from 'js-yaml';

const ROOT = path.resolve(__dirname, '../..');

/** CloudFormation's short tags, read as plain values: only custom.esbuild is used here. */
const CFN_TAGS = ['Sub', 'Ref', 'GetAtt', 'Join', 'Select', 'Split', 'If', 'Equals', 'Not', 'And', 'Or', 'FindInMap', 'ImportValue', 'Base64', 'Cidr', 'GetAZs', 'Condition'].flatMap(
  (name) => (['scalar', 'sequence', 'mapping'] as const).map((kind) => new yaml.Type(`!${name}`, { kind, construct: (data: unknown) => data })),
);

/**
 * The esbuild options serverless-esbuild builds every function with: serverless.yml's custom.esbuild,
 * with `exclude` read as externals (as serverless-esbuild does) and `plugins` loaded from its file.
 */
interface ServerlessYml {
  custom: { esbuild: Record<string, unknown> & { exclude?: string[]; external?: string[]; plugins?: string } };
  functions: Record<string, { handler: string; events?: Array<Record<string, unknown>> }>;
}

function serverlessYml(): ServerlessYml {
  return yaml.load(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8'), { schema: yaml.DEFAULT_SCHEMA.extend(CFN_TAGS) }) as ServerlessYml;
}

/** Every function of serverless.yml: its source file, and whether the HTTP API invokes it. */
export function functionEntries(): Array<{ name: string; source: string; http: boolean }> {
  return Object.entries(serverlessYml().functions).map(([name, fn]) => ({
    name,
    source: `${fn.handler.replace(/\.[^.]+$/, '')}.ts`,
    http: (fn.events ?? []).some((event) => 'httpApi' in event),
  }));
}

function functionBuildOptions(): BuildOptions {
  // outputWorkFolder is serverless-esbuild's own, not an esbuild option.
  const { exclude = [], external = [], plugins, outputWorkFolder: _, ...options } = serverlessYml().custom.esbuild;
  return {
    ...(options as BuildOptions),
    external: [...external, ...exclude],
    plugins: plugins ? (require(path.join(ROOT, plugins)) as Plugin[]) : [],
    format: 'cjs',
    absWorkingDir: ROOT,
  };
}

/** Builds `entries` (name -> source file) into `outdir` as the functions are built; returns the metafile. */
export async function buildFunctions(entries: Record<string, string>, outdir: string): Promise<Metafile> {
  const result = await build({ ...functionBuildOptions(), entryPoints: entries, outdir, metafile: true, logLevel: 'warning' });
  // metafile: true above makes esbuild always return one.
  return result.metafile as Metafile;
}
