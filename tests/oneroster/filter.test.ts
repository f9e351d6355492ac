import fc from 'fast-check';
import { OneRosterQueryError } from '../../shared/oneroster/errors';
import { filterToSql, parseFilter, type FilterFields, type FilterOperator } from '../../shared/oneroster/filter';
import { withClient } from '../support/db';
import { oneRosterAjv, oneRosterValidator } from '../support/oneroster-schemas';

const FIELDS: FilterFields = {
  sourcedId: { sql: 't.id', type: 'text' },
  familyName: { sql: 't.family_name', type: 'text' },
  dateLastModified: { sql: 't.modified', type: 'datetime' },
  status: { sql: `CASE WHEN t.deleted IS NULL THEN 'active' ELSE 'tobedeleted' END`, type: 'enum', values: ['active', 'tobedeleted'] },
};

const OPERATORS: FilterOperator[] = ['=', '!=', '>', '>=', '<', '<=', '~'];

function quoted(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function caught(run: () => unknown): OneRosterQueryError {
  try {
    run();
  } catch (error) {
    if (error instanceof OneRosterQueryError) return error;
    throw error;
  }
  throw new Error('expected a OneRosterQueryError');
}

describe('parseFilter', () => {
  it.each(OPERATORS)('reads the %s operator', (operator) => {
    expect(parseFilter(`familyName${operator}'Jones'`)).toEqual({ field: 'familyName', operator, value: 'Jones' });
  });

  it('reads two predicates joined by AND or OR, with spaces around the operators and the filter', () => {
    expect(parseFilter(` familyName = 'Jones' AND dateLastModified>'2026-01-01T00:00:00Z' `)).toEqual({
      logical: 'AND',
      left: { field: 'familyName', operator: '=', value: 'Jones' },
      right: { field: 'dateLastModified', operator: '>', value: '2026-01-01T00:00:00Z' },
    });
    expect(parseFilter(`status='active' OR status='tobedeleted'`)).toMatchObject({ logical: 'OR' });
  });

  it('keeps spaces, operators and AND inside a quoted value, and reads a doubled quote as one', () => {
    expect(parseFilter(`familyName='O''Brien AND x>=''y'''`)).toEqual({ field: 'familyName', operator: '=', value: `O'Brien AND x>='y'` });
    expect(parseFilter(`familyName=''`)).toEqual({ field: 'familyName', operator: '=', value: '' });
  });

  it.each([
    ['an empty filter', '', /must start with a field name/],
    ['a value without quotes', 'familyName=Jones', /enclosed in single quotes/],
    ['an unbalanced quote', `familyName='Jones`, /enclosed in single quotes/],
    ['a stray quote after the value', `familyName='Jones''`, /only AND or OR/],
    ['an unknown operator', `familyName<>'Jones'`, /enclosed in single quotes/],
    ['a word operator', `familyName eq 'Jones'`, /needs one of the operators/],
    ['three predicates', `familyName='a' AND familyName='b' AND familyName='c'`, /at most two predicates/],
    ['a lower-case logical operator', `familyName='a' and familyName='b'`, /only AND or OR/],
    ['AND without spaces', `familyName='a'AND familyName='b'`, /only AND or OR/],
    ['a dangling AND', `familyName='a' AND `, /second predicate must start with a field name/],
    ['parentheses', `(familyName='a')`, /must start with a field name/],
  ])('refuses %s', (_case, filter, message) => {
    const error = caught(() => parseFilter(filter));
    expect(error.codeMinor).toBe('invalid_filter_field');
    expect(error.statusCode).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('refuses a filter over 2,000 characters', () => {
    expect(caught(() => parseFilter(`familyName='${'a'.repeat(2000)}'`)).message).toMatch(/longer than 2000/);
  });
});

describe('filterToSql', () => {
  it('binds each value and numbers the placeholders from the one given', () => {
    expect(filterToSql(parseFilter(`familyName~'on' OR dateLastModified>='2026-01-31'`), FIELDS, 3)).toEqual({
      text: `((strpos(lower(t.family_name), lower($3::text)) > 0) OR (t.modified >= $4::timestamptz))`,
      values: ['on', '2026-01-31T00:00:00.000Z'],
    });
    expect(filterToSql(parseFilter(`status!='active'`), FIELDS)).toEqual({
      text: `(CASE WHEN t.deleted IS NULL THEN 'active' ELSE 'tobedeleted' END IS DISTINCT FROM $1::text)`,
      values: ['active'],
    });
  });

  it.each([
    ['a field outside the allow-list', `nickname='Ed'`, /cannot be filtered on here; these can: sourcedId, familyName, dateLastModified, status/],
    ['a prototype property as a field', `constructor='x'`, /cannot be filtered on here/],
    ['a date-time without its zone', `dateLastModified>'2026-01-31T12:00:00'`, /takes an ISO 8601 date-time/],
    ['a date that does not exist', `dateLastModified>'2026-02-30'`, /takes an ISO 8601 date-time/],
    ['a date-time that is not one', `dateLastModified>'yesterday'`, /takes an ISO 8601 date-time/],
    ['contains on a date-time', `dateLastModified~'2026'`, /does not apply/],
    ['an ordering operator on an enum', `status>'active'`, /takes only = and !=/],
    ['a value outside an enum', `status='inactive'`, /takes one of: active, tobedeleted/],
    ['an unknown field in the second predicate', `familyName='a' OR email='b'`, /cannot be filtered on here/],
  ])('refuses %s', (_case, filter, message) => {
    const error = caught(() => filterToSql(parseFilter(filter), FIELDS));
    expect(error.codeMinor).toBe('invalid_filter_field');
    expect(error.message).toMatch(message);
  });

  it('answers with the 1EdTech status payload, which quotes none of the values', () => {
    const error = caught(() => filterToSql(parseFilter(`email='edna@springfield.example'`), FIELDS));
    const payload = error.toStatusInfo();

    expect(oneRosterValidator(oneRosterAjv(), 'imsx_StatusInfoDType')(payload)).toBe(true);
    expect(payload).toEqual({
      imsx_codeMajor: 'failure',
      imsx_severity: 'error',
      imsx_description: 'filter: a field named in the filter cannot be filtered on here; these can: sourcedId, familyName, dateLastModified, status',
      imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: 'invalid_filter_field' }] },
    });
    expect(caught(() => filterToSql(parseFilter(`dateLastModified>'edna@springfield.example'`), FIELDS)).message).not.toContain('edna');
  });
});

describe('no filter text reaches the SQL text', () => {
  const textFields = ['sourcedId', 'familyName'];
  const structure = fc.record({
    left: fc.record({ field: fc.constantFrom(...textFields), operator: fc.constantFrom(...OPERATORS), value: fc.string({ unit: 'binary' }) }),
    right: fc.option(fc.record({ field: fc.constantFrom(...textFields), operator: fc.constantFrom(...OPERATORS), value: fc.string({ unit: 'binary' }) })),
    logical: fc.constantFrom('AND', 'OR'),
  });

  it('any value, quotes and SQL included, only changes the binds, never the text', () => {
    fc.assert(
      fc.property(structure, ({ left, right, logical }) => {
        const write = (p: { field: string; operator: string }, value: string) => `${p.field}${p.operator}${quoted(value)}`;
        const filter = right ? `${write(left, left.value)} ${logical} ${write(right, right.value)}` : write(left, left.value);
        const blank = right ? `${write(left, 'v')} ${logical} ${write(right, 'v')}` : write(left, 'v');

        const sql = filterToSql(parseFilter(filter), FIELDS);

        expect(sql.text).toBe(filterToSql(parseFilter(blank), FIELDS).text);
        expect(sql.values).toEqual(right ? [left.value, right.value] : [left.value]);
      }),
      { numRuns: 500 },
    );
  });

  it('any string at all is either refused with the 400 error or becomes SQL made only of allow-listed expressions', () => {
    const tokens = /^(?:COL|\(|\)| |AND|OR|=|IS DISTINCT FROM|>=|<=|>|<|\$\d+::(?:text|timestamptz)|strpos|lower|,|0)*$/;
    const columns = Object.values(FIELDS).map((field) => field.sql);
    const noise = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.stringMatching(/^[a-zA-Z ]{0,12}(=|!=|>=|<=|<|>|~)'[\s\S]{0,20}'( (AND|OR) [a-zA-Z ]{0,12}(=|~)'[\s\S]{0,20}')?$/),
    );
    fc.assert(
      fc.property(noise, (input) => {
        let text: string;
        try {
          text = filterToSql(parseFilter(input), FIELDS).text;
        } catch (error) {
          expect(error).toBeInstanceOf(OneRosterQueryError);
          return;
        }
        for (const column of columns) text = text.replaceAll(column, 'COL');
        expect(text).toMatch(tokens);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the SQL against PostgreSQL', () => {
  const rows = `
    CREATE TEMP TABLE t (id text, family_name text, modified timestamptz, deleted timestamptz);
    INSERT INTO t VALUES
      ('a', 'Jones', '2026-01-01T00:00:00Z', NULL),
      ('b', 'Smith', '2026-02-01T00:00:00Z', NULL),
      ('c', 'O''Brien', '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z'),
      ('d', NULL, '2026-04-01T00:00:00Z', NULL);`;

  it.each([
    [`familyName='Jones'`, ['a']],
    [`familyName!='Jones'`, ['b', 'c', 'd']],
    [`familyName>'M'`, ['b', 'c']],
    [`familyName~'O'`, ['a', 'c']],
    [`familyName='O''Brien'`, ['c']],
    [`dateLastModified>'2026-02-01T00:00:00Z'`, ['c', 'd']],
    [`dateLastModified>='2026-02-01'`, ['b', 'c', 'd']],
    [`dateLastModified<'2026-02-01T01:00:00+01:00'`, ['a']],
    [`dateLastModified<='2026-02-01T00:00:00.000Z'`, ['a', 'b']],
    [`dateLastModified='2026-03-01T00:00:00Z'`, ['c']],
    [`dateLastModified!='2026-03-01T00:00:00Z'`, ['a', 'b', 'd']],
    [`status='tobedeleted'`, ['c']],
    [`status!='tobedeleted'`, ['a', 'b', 'd']],
    [`status='active' AND dateLastModified>'2026-01-15'`, ['b', 'd']],
    [`familyName='Jones' OR familyName='Smith'`, ['a', 'b']],
    [`familyName='x''; DROP TABLE t; --'`, []],
  ])('%s selects %j', async (filter, expected) => {
    const where = filterToSql(parseFilter(filter), FIELDS);
    const ids = await withClient(async (client) => {
      await client.query(rows);
      const { rows: found } = await client.query<{ id: string }>(`SELECT t.id FROM t WHERE ${where.text} ORDER BY t.id`, where.values);
      await client.query('SELECT count(*) FROM t');
      return found.map((row) => row.id);
    });
    expect(ids).toEqual(expected);
  });
});
