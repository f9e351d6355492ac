import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `tsx scripts/derive-oneroster-schemas.ts <onerosterv1p2rostersservice_openapi3_v1p0.json> <source>`
 *
 * Writes tests/fixtures/oneroster-v1p2-schemas.json: the component schemas of the 1EdTech OneRoster 1.2
 * Rostering OpenAPI document that the OneRoster endpoints (docs/oneroster.md) answer with (the user and org envelopes, the imsx
 * status payload) and every schema they reference, as JSON Schema `$defs`. The document itself is not kept
 * in the project; `<source>` (repository, path and commit it came from) is written into the `$comment`.
 */
const ROOTS = ['UserSetDType', 'SingleUserDType', 'OrgSetDType', 'SingleOrgDType', 'imsx_StatusInfoDType'];
const OPENAPI_REF = '#/components/schemas/';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Copies a schema with OpenAPI refs pointed at `$defs` and prose dropped (validation needs none of it). */
function rewrite(node: Json, found: Set<string>): Json {
  if (Array.isArray(node)) return node.map((item) => rewrite(item, found));
  if (node === null || typeof node !== 'object') return node;
  const copy: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description') continue;
    if (key === '$ref' && typeof value === 'string') {
      if (!value.startsWith(OPENAPI_REF)) throw new Error(`unexpected $ref ${value}`);
      const name = value.slice(OPENAPI_REF.length);
      found.add(name);
      copy[key] = `#/$defs/${name}`;
    } else {
      copy[key] = rewrite(value, found);
    }
  }
  return copy;
}

function main(): void {
  const [documentPath, source] = process.argv.slice(2);
  if (!documentPath || !source) {
    console.error('usage: tsx scripts/derive-oneroster-schemas.ts <openapi document> "<repository> <path> @ <commit>"');
    process.exit(2);
  }
  const document = JSON.parse(readFileSync(documentPath, 'utf8')) as { info: { title: string; version: string }; components: { schemas: Record<string, Json> } };
  const schemas = document.components.schemas;
  const defs: Record<string, Json> = {};
  const pending = [...ROOTS];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (name in defs) continue;
    if (!(name in schemas)) throw new Error(`${name} is not among the document's component schemas`);
    const found = new Set<string>();
    defs[name] = rewrite(schemas[name], found);
    pending.push(...found);
  }
  const sorted = Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b)));
  const fixture = {
    $comment:
      `Derived by scripts/derive-oneroster-schemas.ts from "${document.info.title}" ${document.info.version}, ` +
      `onerosterv1p2rostersservice_openapi3_v1p0.json in ${source}: the component schemas ${ROOTS.join(', ')} ` +
      'and those they reference, with OpenAPI $refs rewritten to $defs and descriptions removed. Do not edit; re-run the script.',
    $defs: sorted,
  };
  const out = path.resolve(__dirname, '../tests/fixtures/oneroster-v1p2-schemas.json');
  writeFileSync(out, `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), out)}: ${Object.keys(sorted).join(', ')}`);
}

main();
