import * as z from 'zod';

/*
 * The OneRoster routes' request schemas (checked by the router) and what they answer, for the OpenAPI
 * document. The contract itself is the 1EdTech document: the tests validate every answer against its
 * schemas (tests/fixtures/oneroster-v1p2-schemas.json), these say what this service fills in.
 */

/** A record's sourcedId: its own id (docs/oneroster.md), so a UUID; anything else is a 400 `invaliddata`. */
export const OneRosterPath = z.object({ sourcedId: z.guid({ message: 'must be a UUID (a sourcedId this service gave)' }) });

const parameter = (description: string) => z.string().describe(description).optional();

const fields = parameter('Comma-separated fields to keep in each object; an unknown one is a 400 `invalid_selection_field`.');

/**
 * A collection's query. Read as text here and against the endpoint's allow-lists by `parseCollectionQuery`
 * (shared/oneroster/query.ts). Not strict: a OneRoster client's other parameters are ignored, as a SIS does.
 */
export const OneRosterCollectionQuery = z.object({
  limit: parameter('Records per page, 1 to 1,000 (default 100); a larger one is a 400, never cut.'),
  offset: parameter('Records to skip, from 0 (default 0).'),
  sort: parameter("A field to sort by (default `sourcedId`); `sourcedId` breaks every tie, so pages never repeat or skip."),
  orderBy: parameter('`asc` (default) or `desc`.'),
  filter: parameter(
    "One predicate, or two joined by ` AND ` or ` OR `: `field op 'value'`, `op` one of `= != > >= < <= ~` (`~`: contains, ignoring case). " +
      "A quote in a value is written twice. `dateLastModified>'2026-01-31T00:00:00Z'` is a delta pull. An unknown field is a 400 `invalid_filter_field`.",
  ),
  fields,
});

/** A single record's query: `fields` only. */
export const OneRosterRecordQuery = z.object({ fields });

const GuidRef = (type: 'org' | 'user') =>
  z.object({ href: z.url(), sourcedId: z.string(), type: z.literal(type) }).meta({ description: `A reference to a${type === 'org' ? 'n org' : ' user'}, with its absolute URL.` });

const Status = z.enum(['active', 'tobedeleted']).describe('`tobedeleted`: removed in the last CHANGES_RETENTION_DAYS days (a delta pull sees deletions).');
const DateLastModified = z.iso.datetime().describe('`updatedAt`; moves on a soft delete, and for a user on a membership change.');

const OneRosterRole = z.object({
  roleType: z.enum(['primary', 'secondary']).describe('Always `primary`: one role per user and org.'),
  role: z.string().describe('Our role as OneRoster 1.2 names it: `guestLecturer` is `teacher`, `administrator` is `siteAdministrator`.'),
  org: GuidRef('org'),
});

const OneRosterUser = z
  .object({
    sourcedId: z.string(),
    status: Status,
    dateLastModified: DateLastModified,
    username: z.string().optional(),
    enabledUser: z.enum(['true', 'false']),
    givenName: z.string(),
    familyName: z.string().describe('`""` when the user has no last name.'),
    email: z.string().optional(),
    roles: z.array(OneRosterRole).describe('One per membership; `[]` for a `tobedeleted` user.'),
  })
  .meta({ id: 'OneRosterUser', description: "1EdTech `UserDType`: the fields this service holds (`fields` may keep fewer)." });

const OneRosterOrg = z
  .object({
    sourcedId: z.string(),
    status: Status,
    dateLastModified: DateLastModified,
    name: z.string(),
    type: z.enum(['district', 'school']),
    identifier: z.string().describe("A school's `code`, or `\"\"`."),
    parent: GuidRef('org').optional().describe("A school's district."),
  })
  .meta({ id: 'OneRosterOrg', description: '1EdTech `OrgDType`: a district, or a school with its district as `parent`.' });

export const OneRosterUserSet = z.object({ users: z.array(OneRosterUser) }).meta({ id: 'OneRosterUserSet' });
export const OneRosterSingleUser = z.object({ user: OneRosterUser }).meta({ id: 'OneRosterSingleUser' });
export const OneRosterOrgSet = z.object({ orgs: z.array(OneRosterOrg) }).meta({ id: 'OneRosterOrgSet' });
export const OneRosterSingleOrg = z.object({ org: OneRosterOrg }).meta({ id: 'OneRosterSingleOrg' });

/** 1EdTech `imsx_StatusInfoDType`: the body of every error of the OneRoster routes. */
export const OneRosterStatusInfoSchema = z
  .object({
    imsx_codeMajor: z.literal('failure'),
    imsx_severity: z.literal('error'),
    imsx_description: z.string(),
    imsx_CodeMinor: z.object({
      imsx_codeMinorField: z.array(
        z.object({
          imsx_codeMinorFieldName: z.literal('TargetEndSystem'),
          imsx_codeMinorFieldValue: z.enum([
            'invalid_filter_field',
            'invalid_selection_field',
            'invaliddata',
            'unauthorisedrequest',
            'forbidden',
            'unknownobject',
            'server_busy',
            'internal_server_error',
          ]),
        }),
      ),
    }),
  })
  .meta({ id: 'OneRosterStatusInfo', description: '1EdTech `imsx_StatusInfoDType`, as every OneRoster error answers it.' });
