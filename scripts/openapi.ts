import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument } from './openapi-document';

/** `npm run openapi`: writes openapi.json (checked in; tests/openapi fails when it is stale). */
const file = path.resolve(__dirname, '../openapi.json');
writeFileSync(file, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), file)}`);
