import * as z from 'zod';
import { config } from '../config';
import { readSecretJson } from '../db/credentials';
import { OneRosterSourceError } from './oneroster-http';

/**
 * A district's OneRoster client, as its Secrets Manager secret holds it (docs/oneroster.md#credentials).
 * The token URL lives here rather than in the district row: the SIS issues it with the client, and an
 * operator then rotates all three in one place.
 */
const DistrictSecret = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  tokenUrl: z.url({ protocol: /^https?$/ }),
  scope: z.string().min(1).optional(),
});
export type DistrictOneRosterSecret = z.infer<typeof DistrictSecret>;

/**
 * The secret's name: `<ROSTER_CREDENTIALS_PREFIX><districtId>/oneroster`, by convention, so no column
 * names it and IAM grants the puller the prefix alone.
 */
function districtSecretName(districtId: string): string {
  return `${config.roster.credentialsPrefix}${districtId}/oneroster`;
}

/**
 * Reads a district's OneRoster client credentials from Secrets Manager. Errors name the secret and
 * the fields at fault, never a value.
 * @throws OneRosterSourceError when the secret is missing, unreadable or not of the expected shape
 */
export async function readDistrictCredentials(districtId: string): Promise<DistrictOneRosterSecret> {
  const name = districtSecretName(districtId);
  let value: unknown;
  try {
    value = await readSecretJson(name);
  } catch (error) {
    const kind = (error as Error).name;
    const why =
      kind === 'ResourceNotFoundException'
        ? 'does not exist: create it with the district\'s clientId, clientSecret and tokenUrl (docs/oneroster.md)'
        : kind === 'SyntaxError'
          ? 'is not JSON'
          : `could not be read (${kind})`;
    throw new OneRosterSourceError(`The OneRoster credentials secret ${name} ${why}`, { cause: error });
  }
  const parsed = DistrictSecret.safeParse(value);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(the whole secret)'))];
    throw new OneRosterSourceError(`The OneRoster credentials secret ${name} lacks a valid ${fields.join(', ')}: it needs clientId, clientSecret and tokenUrl (scope optional)`);
  }
  return parsed.data;
}
