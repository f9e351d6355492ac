import { OneRosterQueryError } from '../../shared/oneroster/errors';
import { parseCollectionQuery, type CollectionSpec, type QueryParameters } from '../../shared/oneroster/query';

const USERS: CollectionSpec = {
  filterFields: { familyName: { sql: 'u."lastName"', type: 'text' } },
  sortFields: { sourcedId: 'u."userId"', familyName: 'u."lastName"' },
  selectableFields: ['sourcedId', 'status', 'givenName', 'familyName', 'roles'],
  defaultSort: 'sourcedId',
  tiebreaker: 'u."userId"',
};

function refusal(parameters: QueryParameters): { codeMinor: string; message: string } {
  try {
    parseCollectionQuery(parameters, USERS);
  } catch (error) {
    if (error instanceof OneRosterQueryError) return { codeMinor: error.codeMinor, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseCollectionQuery', () => {
  it('serves 100 records from offset 0 in sourcedId order, unfiltered, with every field, when asked nothing', () => {
    expect(parseCollectionQuery({}, USERS)).toEqual({ limit: 100, offset: 0, orderBy: 'u."userId" ASC', where: { text: 'TRUE', values: [] }, fields: null });
  });

  it('reads limit, offset, sort, orderBy, filter and fields together, the tiebreaker keeping the order stable', () => {
    expect(
      parseCollectionQuery({ limit: '1000', offset: '100000', sort: 'familyName', orderBy: 'desc', filter: `familyName~'on'`, fields: 'sourcedId,familyName,sourcedId' }, USERS, 2),
    ).toEqual({
      limit: 1000,
      offset: 100000,
      orderBy: 'u."lastName" DESC, u."userId" DESC',
      where: { text: '(strpos(lower(u."lastName"), lower($2::text)) > 0)', values: ['on'] },
      fields: ['sourcedId', 'familyName'],
    });
  });

  it.each([
    [{ limit: '0' }, 'invaliddata', /limit must be a whole number from 1 to 1000/],
    [{ limit: '1001' }, 'invaliddata', /limit must be a whole number from 1 to 1000/],
    [{ limit: '10.5' }, 'invaliddata', /limit/],
    [{ limit: '' }, 'invaliddata', /limit/],
    [{ offset: '-1' }, 'invaliddata', /offset must be a whole number from 0 to 2147483647/],
    [{ offset: '99999999999' }, 'invaliddata', /offset/],
    [{ sort: 'email' }, 'invaliddata', /sort must be one of: sourcedId, familyName/],
    [{ sort: 'toString' }, 'invaliddata', /sort must be one of/],
    [{ orderBy: 'up' }, 'invaliddata', /orderBy must be asc or desc/],
    [{ fields: 'sourcedId,password' }, 'invalid_selection_field', /fields: a named field is not one of: sourcedId, status, givenName, familyName, roles/],
    [{ fields: '' }, 'invalid_selection_field', /fields/],
    [{ filter: `email='a@b.example'` }, 'invalid_filter_field', /cannot be filtered on here/],
  ])('refuses %j with %s', (parameters, codeMinor, message) => {
    const { codeMinor: actual, message: text } = refusal(parameters);
    expect(actual).toBe(codeMinor);
    expect(text).toMatch(message);
  });
});
