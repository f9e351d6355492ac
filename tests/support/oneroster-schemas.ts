import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fixture from '../fixtures/oneroster-v1p2-schemas.json';

/** The id the fixture is registered under; `${FIXTURE_ID}#/$defs/<name>` names one of its schemas. */
const FIXTURE_ID = 'https://school-roster.test/oneroster-v1p2-schemas.json';

/** The names of the 1EdTech schemas in the fixture (tests/fixtures/oneroster-v1p2-schemas.json). */
export const ONEROSTER_SCHEMA_NAMES = Object.keys(fixture.$defs);

/**
 * An ajv instance holding the 1EdTech OneRoster 1.2 schemas, strict (an unknown keyword in the fixture is
 * an error, not silently ignored), with every error reported so a failing test names each problem.
 */
export function oneRosterAjv(): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...fixture, $id: FIXTURE_ID });
  return ajv;
}

/** A validator for one of the fixture's schemas, for example `UserSetDType` or `imsx_StatusInfoDType`. */
export function oneRosterValidator(ajv: Ajv, name: string): ValidateFunction {
  const validate = ajv.getSchema(`${FIXTURE_ID}#/$defs/${name}`);
  if (!validate) throw new Error(`${name} is not in the OneRoster schema fixture`);
  return validate;
}
