import { parseArgs } from 'node:util';
import { READ_SCOPE, WRITE_SCOPE } from '../shared/http/routes';
import { mintDevToken } from './dev-auth';

/**
 * `npm run token -- --scope "roster/read roster/write" [--schools id1,id2] [--districts id1,id2] [--expires 1h]`:
 * prints a development token for the local API as its last line.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scope: { type: 'string', default: `${READ_SCOPE} ${WRITE_SCOPE}` },
      schools: { type: 'string' },
      districts: { type: 'string' },
      expires: { type: 'string', default: '12h' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('npm run token -- [--scope "roster/read roster/write roster/admin"] [--schools id1,id2] [--districts id1,id2] [--expires 12h]');
    return;
  }
  const scopes = values.scope.split(/\s+/).filter(Boolean);
  const idList = (value: string | undefined) => value?.split(',').map((id) => id.trim()).filter(Boolean);
  const schools = idList(values.schools);
  const districts = idList(values.districts);
  const token = await mintDevToken({ scopes, schools, districts, expiresIn: values.expires });
  const limits = `${schools ? `; schools: ${schools.join(', ')}` : ''}${districts ? `; districts: ${districts.join(', ')}` : ''}`;
  console.log(`Scopes: ${scopes.join(' ') || '(none)'}${limits}; expires in ${values.expires}`);
  console.log(token);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
