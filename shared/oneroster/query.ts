import * as z from 'zod';
import { OneRosterQueryError } from './errors';
import { filterToSql, parseFilter, type FilterFields, type SqlFragment } from './filter';

/** OneRoster 1.2's default page size. */
const DEFAULT_LIMIT = 100;
/**
 * The largest page served. A 1.2 user with a few roles is about 700 bytes of JSON, so 1,000 of them stay near
 * 0.7 MB, well inside Lambda's 6 MB response limit, and one page query stays within the API's statement
 * timeout. A larger `limit` is a 400, not quietly cut: a client that pages "until a short page" would take
 * a cut page for the last one and stop.
 */
const MAX_LIMIT = 1000;
/** OneRoster declares `offset` an int32. */
const MAX_OFFSET = 2_147_483_647;

/** What a OneRoster collection endpoint allows, declared once per endpoint. */
export interface CollectionSpec {
  /** Fields that `filter` may name, with their SQL expressions and types. */
  filterFields: FilterFields;
  /** Fields that `sort` may name, with their SQL expressions. */
  sortFields: Readonly<Record<string, string>>;
  /** Fields that `fields` may select (the object's own field names). */
  selectableFields: readonly string[];
  /** The sort when the request names none, and the unique tiebreaker that makes every order stable for paging. */
  defaultSort: string;
  tiebreaker: string;
}

export interface CollectionQuery {
  limit: number;
  offset: number;
  /** `ORDER BY` text, from allow-listed expressions only. */
  orderBy: string;
  /** The filter's condition (`TRUE` without one) and its bind values, numbered from `firstParameter`. */
  where: SqlFragment;
  /** The fields to keep in each object, or null for all of them. */
  fields: string[] | null;
}

/** The raw query string values; API Gateway joins a repeated parameter's values with commas. */
export type QueryParameters = Readonly<Record<string, string | undefined>>;

function invalidData(message: string): OneRosterQueryError {
  return new OneRosterQueryError('invaliddata', message);
}

function integerParameter(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const parsed = z.string().regex(/^\d{1,10}$/).transform(Number).pipe(z.number().int().min(min).max(max)).safeParse(raw);
  if (!parsed.success) throw invalidData(`${name} must be a whole number from ${min} to ${max}`);
  return parsed.data;
}

const OrderBy = z.enum(['asc', 'desc']);

function parseFields(raw: string | undefined, selectable: readonly string[]): string[] | null {
  if (raw === undefined) return null;
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.some((name) => !selectable.includes(name));
  if (unknown) throw new OneRosterQueryError('invalid_selection_field', `fields: a named field is not one of: ${selectable.join(', ')}`);
  return [...new Set(names)];
}

/**
 * Reads a OneRoster collection request's `limit`, `offset`, `sort`, `orderBy`, `filter` and `fields`
 * against the endpoint's allow-lists.
 * @throws OneRosterQueryError: `invalid_filter_field` for a filter, `invalid_selection_field` for `fields`,
 * `invaliddata` for the paging and sort parameters.
 */
export function parseCollectionQuery(parameters: QueryParameters, spec: CollectionSpec, firstParameter = 1): CollectionQuery {
  const limit = integerParameter('limit', parameters.limit, DEFAULT_LIMIT, 1, MAX_LIMIT);
  const offset = integerParameter('offset', parameters.offset, 0, 0, MAX_OFFSET);
  const sortName = parameters.sort ?? spec.defaultSort;
  if (!Object.hasOwn(spec.sortFields, sortName)) throw invalidData(`sort must be one of: ${Object.keys(spec.sortFields).join(', ')}`);
  const direction = OrderBy.safeParse(parameters.orderBy ?? 'asc');
  if (!direction.success) throw invalidData('orderBy must be asc or desc');
  const sortSql = spec.sortFields[sortName];
  const keys = sortSql === spec.tiebreaker ? [sortSql] : [sortSql, spec.tiebreaker];
  const orderBy = keys.map((key) => `${key} ${direction.data.toUpperCase()}`).join(', ');
  const where = parameters.filter === undefined ? { text: 'TRUE', values: [] } : filterToSql(parseFilter(parameters.filter), spec.filterFields, firstParameter);
  return { limit, offset, orderBy, where, fields: parseFields(parameters.fields, spec.selectableFields) };
}
