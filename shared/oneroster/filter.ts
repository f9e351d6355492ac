import * as z from 'zod';
import { OneRosterQueryError } from './errors';

/**
 * OneRoster 1.2's `filter` query parameter (REST binding, "Filtering"):
 *
 *   filter    = predicate [ space+ ("AND" | "OR") space+ predicate ]
 *   predicate = field space* operator space* "'" value "'"
 *   operator  = "=" | "!=" | ">" | ">=" | "<" | "<=" | "~"
 *
 * One logical operator at most, joining two predicates, in capitals as the standard writes them. A value is
 * always single-quoted; a quote inside it is written twice (`'O''Brien'`), the one escape this parser
 * accepts, since the standard gives none and names such as O'Brien must stay filterable. `~` is "contains",
 * compared case-insensitively. The grammar is this small, so a sticky-regex scanner reads it; a parser
 * library would be the larger thing to review.
 */

export type FilterOperator = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~';

interface FilterPredicate {
  field: string;
  operator: FilterOperator;
  value: string;
}

export type FilterTree = FilterPredicate | { logical: 'AND' | 'OR'; left: FilterPredicate; right: FilterPredicate };

/** How one filterable OneRoster field is read in SQL. `sql` is the caller's trusted expression, never input. */
type FilterField =
  | { sql: string; type: 'text' }
  | { sql: string; type: 'datetime' }
  | { sql: string; type: 'enum'; values: readonly string[] };

export type FilterFields = Readonly<Record<string, FilterField>>;

/** A SQL condition with `$n` placeholders, and the values bound to them in order. */
export interface SqlFragment {
  text: string;
  values: string[];
}

const MAX_FILTER_LENGTH = 2000;
const FIELD = /\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*/y;
const OPERATOR = /(>=|<=|!=|=|>|<|~)\s*/y;
const VALUE = /'((?:[^']|'')*)'/y;
const LOGICAL = /\s+(AND|OR)\s+/y;
const TRAILING_SPACE = /\s*$/y;
const ANOTHER_LOGICAL = /^\s+(?:AND|OR)\s+/;

function invalid(message: string): OneRosterQueryError {
  return new OneRosterQueryError('invalid_filter_field', `filter: ${message}`);
}

class Scanner {
  position = 0;
  constructor(private readonly input: string) {}

  take(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.position;
    const match = pattern.exec(this.input);
    if (match) this.position = pattern.lastIndex;
    return match;
  }

  get done(): boolean {
    return this.position === this.input.length;
  }
}

function readPredicate(scanner: Scanner, ordinal: string): FilterPredicate {
  const field = scanner.take(FIELD);
  if (!field) throw invalid(`the ${ordinal} predicate must start with a field name`);
  const operator = scanner.take(OPERATOR);
  if (!operator) throw invalid(`the ${ordinal} predicate needs one of the operators = != > >= < <= ~ after its field`);
  const value = scanner.take(VALUE);
  if (!value) throw invalid(`the ${ordinal} predicate's value must be enclosed in single quotes (a quote inside it is written twice)`);
  return { field: field[1], operator: operator[1] as FilterOperator, value: value[1].replaceAll("''", "'") };
}

/**
 * Parses a OneRoster filter into a tree; field names are checked later, against the endpoint's fields.
 * @throws OneRosterQueryError (`invalid_filter_field`) when the text does not follow the grammar.
 */
export function parseFilter(input: string): FilterTree {
  if (input.length > MAX_FILTER_LENGTH) throw invalid(`longer than ${MAX_FILTER_LENGTH} characters`);
  const scanner = new Scanner(input);
  const left = readPredicate(scanner, 'first');
  const logical = scanner.take(LOGICAL);
  if (!logical) {
    scanner.take(TRAILING_SPACE);
    if (!scanner.done) throw invalid('after a predicate only AND or OR (with spaces around it) and a second predicate may follow');
    return left;
  }
  const right = readPredicate(scanner, 'second');
  scanner.take(TRAILING_SPACE);
  if (!scanner.done) {
    throw invalid(ANOTHER_LOGICAL.test(input.slice(scanner.position)) ? 'at most two predicates, joined by one AND or OR' : 'unexpected text after the second predicate');
  }
  return { logical: logical[1] as 'AND' | 'OR', left, right };
}

// A date-time must carry its zone ("Z" or an offset), as OneRoster's dateLastModified does; a bare date
// (the 1.1 examples use them) is midnight UTC.
const DateTimeValue = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

const SQL_OPERATOR: Record<Exclude<FilterOperator, '~'>, string> = {
  '=': '=',
  // A field with no value is "not equal" to any value, as a OneRoster client reading the JSON would see it.
  '!=': 'IS DISTINCT FROM',
  '>': '>',
  '>=': '>=',
  '<': '<',
  '<=': '<=',
};

function predicateToSql(predicate: FilterPredicate, fields: FilterFields, parameter: number): SqlFragment {
  const field = Object.hasOwn(fields, predicate.field) ? fields[predicate.field] : undefined;
  if (!field) {
    throw invalid(`a field named in the filter cannot be filtered on here; these can: ${Object.keys(fields).join(', ')}`);
  }
  const { operator } = predicate;
  const placeholder = `$${parameter}`;
  switch (field.type) {
    case 'text':
      if (operator === '~') return { text: `strpos(lower(${field.sql}), lower(${placeholder}::text)) > 0`, values: [predicate.value] };
      return { text: `${field.sql} ${SQL_OPERATOR[operator]} ${placeholder}::text`, values: [predicate.value] };
    case 'datetime': {
      if (operator === '~') throw invalid(`${predicate.field} is a date-time: ~ (contains) does not apply to it`);
      // Year 0 passes ISO 8601 but not PostgreSQL, which has no year zero.
      if (!DateTimeValue.safeParse(predicate.value).success || predicate.value.startsWith('0000')) {
        throw invalid(`${predicate.field} takes an ISO 8601 date-time with its zone (2026-01-31T12:00:00Z) or a date (2026-01-31)`);
      }
      // Passed on as written, not through Date: dateLastModified is served to the microsecond, and a client
      // that sends back the last one it saw must not see that record again.
      const value = predicate.value.includes('T') ? predicate.value : `${predicate.value}T00:00:00.000Z`;
      return { text: `${field.sql} ${SQL_OPERATOR[operator]} ${placeholder}::timestamptz`, values: [value] };
    }
    case 'enum':
      if (operator !== '=' && operator !== '!=') throw invalid(`${predicate.field} takes only = and !=`);
      if (!field.values.includes(predicate.value)) throw invalid(`${predicate.field} takes one of: ${field.values.join(', ')}`);
      return { text: `${field.sql} ${SQL_OPERATOR[operator]} ${placeholder}::text`, values: [predicate.value] };
  }
}

/**
 * Turns a parsed filter into a SQL condition over the endpoint's allow-listed fields. Values travel only as
 * bind parameters, numbered from `firstParameter` so the fragment joins a query that has binds of its own.
 * @throws OneRosterQueryError (`invalid_filter_field`) for a field outside `fields`, or an operator or value
 * the field's type does not take.
 */
export function filterToSql(tree: FilterTree, fields: FilterFields, firstParameter = 1): SqlFragment {
  if (!('logical' in tree)) {
    const only = predicateToSql(tree, fields, firstParameter);
    return { text: `(${only.text})`, values: only.values };
  }
  const left = predicateToSql(tree.left, fields, firstParameter);
  const right = predicateToSql(tree.right, fields, firstParameter + left.values.length);
  return { text: `((${left.text}) ${tree.logical} (${right.text}))`, values: [...left.values, ...right.values] };
}
