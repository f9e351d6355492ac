import fixture from '../fixtures/oneroster-v1p2-schemas.json';
import { ONEROSTER_SCHEMA_NAMES, oneRosterAjv, oneRosterValidator } from '../support/oneroster-schemas';

const BASE = 'https://roster.example/ims/oneroster/rostering/v1p2';

function sampleUser() {
  return {
    sourcedId: '6f1c2a4e-9b1d-4c1e-8a59-0d2b1f3c4e5a',
    status: 'active',
    dateLastModified: '2026-12-01T08:30:00.000Z',
    enabledUser: 'true',
    username: 'ekrabappel',
    givenName: 'Edna',
    familyName: 'Krabappel',
    email: 'edna@springfield.example',
    roles: [
      {
        roleType: 'primary',
        role: 'teacher',
        org: { href: `${BASE}/orgs/0b6f4c1e-2a4d-4e8b-9c1f-5a6b7c8d9e0f`, sourcedId: '0b6f4c1e-2a4d-4e8b-9c1f-5a6b7c8d9e0f', type: 'org' },
      },
    ],
  };
}

function invalidFilterPayload() {
  return {
    imsx_codeMajor: 'failure',
    imsx_severity: 'error',
    imsx_description: 'The filter names a field that cannot be filtered on: nickname',
    imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: 'invalid_filter_field' }] },
  };
}

describe('the 1EdTech OneRoster 1.2 schema fixture', () => {
  it('names the document it was derived from', () => {
    expect(fixture.$comment).toMatch(/1EdTechJapan\/DA2022.*onerosterv1p2rostersservice_openapi3_v1p0\.json|onerosterv1p2rostersservice_openapi3_v1p0\.json.*1EdTechJapan\/DA2022/);
    expect(fixture.$comment).toMatch(/commit [0-9a-f]{40}/);
  });

  it('holds the envelopes the OneRoster endpoints answer with and everything they reference', () => {
    expect(ONEROSTER_SCHEMA_NAMES.sort()).toEqual(
      [
        'CredentialDType', 'imsx_CodeMinorDType', 'imsx_CodeMinorFieldDType', 'imsx_StatusInfoDType', 'MetadataDType',
        'OrgDType', 'OrgGUIDRefDType', 'OrgSetDType', 'ResourceGUIDRefDType', 'RoleDType', 'SingleOrgDType',
        'SingleUserDType', 'UserDType', 'UserGUIDRefDType', 'UserIdDType', 'UserProfileDType', 'UserSetDType',
      ].sort(),
    );
  });

  it('compiles every schema with ajv in strict mode', () => {
    const ajv = oneRosterAjv();
    for (const name of ONEROSTER_SCHEMA_NAMES) expect(typeof oneRosterValidator(ajv, name)).toBe('function');
  });

  it('accepts a user in the single and the collection envelope', () => {
    const ajv = oneRosterAjv();
    const single = oneRosterValidator(ajv, 'SingleUserDType');
    const set = oneRosterValidator(ajv, 'UserSetDType');

    expect(single({ user: sampleUser() })).toBe(true);
    expect(set({ users: [sampleUser(), { ...sampleUser(), sourcedId: 'other', status: 'tobedeleted' }] })).toBe(true);
    expect(set({ users: [] })).toBe(true);
  });

  it('refuses a user without roles, with an unknown field or a date that is not a date-time', () => {
    const ajv = oneRosterAjv();
    const single = oneRosterValidator(ajv, 'SingleUserDType');
    const { roles: _roles, ...withoutRoles } = sampleUser();

    expect(single({ user: withoutRoles })).toBe(false);
    expect(single.errors).toContainEqual(expect.objectContaining({ keyword: 'required', params: { missingProperty: 'roles' } }));
    expect(single({ user: { ...sampleUser(), nickname: 'x' } })).toBe(false);
    expect(single({ user: { ...sampleUser(), dateLastModified: 'yesterday' } })).toBe(false);
    expect(single({ user: { ...sampleUser(), roles: [{ ...sampleUser().roles[0], org: { ...sampleUser().roles[0].org, href: 'not a uri' } }] } })).toBe(false);
  });

  it('accepts the 400 payload for an invalid filter field and refuses an unknown code minor', () => {
    const ajv = oneRosterAjv();
    const status = oneRosterValidator(ajv, 'imsx_StatusInfoDType');
    const payload = invalidFilterPayload();

    expect(status(payload)).toBe(true);
    const wrong = structuredClone(payload);
    wrong.imsx_CodeMinor.imsx_codeMinorField[0].imsx_codeMinorFieldValue = 'invalid_filter';
    expect(status(wrong)).toBe(false);
  });

  it('accepts an org and refuses one without its identifier', () => {
    const ajv = oneRosterAjv();
    const single = oneRosterValidator(ajv, 'SingleOrgDType');
    const org = { sourcedId: 'sch-1', status: 'active', dateLastModified: '2026-12-01T08:30:00Z', name: 'Springfield Elementary', type: 'school', identifier: 'SE-001' };

    expect(single({ org })).toBe(true);
    const { identifier: _identifier, ...withoutIdentifier } = org;
    expect(single({ org: withoutIdentifier })).toBe(false);
  });
});
