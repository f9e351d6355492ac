import { parseArgs } from 'node:util';
import { READ_SCOPE, WRITE_SCOPE } from '../shared/http/routes';
import { mintDevToken } from './dev-auth';

/**
 * `npm run token -- --scope "roster/read roster/write" [--schools id1,id2] [--expires 1h]`: prints a
 * development token for the local API as its last line.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scope: { type: 'string', default: `${READ_SCOPE} ${WRITE_SCOPE}` },
      schools: { type: 'string' },
      expires: { type: 'string', default: '12h' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('npm run token -- [--scope "roster/read roster/write"] [--schools id1,id2] [--expires 12h]');
    return;
  }
  const scopes = values.scope.split(/\s+/).filter(Boolean);
  const schools = values.schools?.split(',').map((id) => id.trim()).filter(Boolean);
  const token = await mintDevToken({ scopes, schools, expiresIn: values.expires });
  console.log(`Scopes: ${scopes.join(' ') || '(none)'}${schools ? `; schools: ${schools.join(', ')}` : ''}; expires in ${values.expires}`);
  console.log(token);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
