import * as z from 'zod';
import { ROLES, type Role } from '../roles';
import type { CsvRow } from './csv';
import { MAX_REPORTED_ERRORS, type RowError } from './types';

/** The bad rows of a run: all counted, the first MAX_REPORTED_ERRORS kept. */
export class ErrorLog {
  readonly kept: RowError[] = [];
  count = 0;

  add(error: RowError): void {
    this.count++;
    if (this.kept.length < MAX_REPORTED_ERRORS) this.kept.push(error);
  }
}

export type RowStatus = 'active' | 'tobedeleted';

/** Blank (common in bulk files) is active; `inactive`, seen in real exports, means `tobedeleted`. */
function parseStatus(value: string): RowStatus | undefined {
  switch (value.toLowerCase()) {
    case '':
    case 'active':
      return 'active';
    case 'tobedeleted':
    case 'inactive':
      return 'tobedeleted';
    default:
      return undefined;
  }
}

const rolesByLowerCase = new Map<string, Role>(ROLES.map((role) => [role.toLowerCase(), role]));

/** OneRoster roles map to ours (docs/data-model.md#roles) by name, ignoring case. */
export function parseRole(value: string): Role | undefined {
  return rolesByLowerCase.get(value.toLowerCase());
}

const emailSchema = z.email();

/**
 * Checks one row's values against the data model's rules (docs/data-model.md) and reports each broken one
 * by file, line and column, never quoting the value (run reports hold no personal data: docs/lifecycle.md).
 * Returns false when the row has a problem.
 */
export class RowChecker {
  private ok = true;

  constructor(
    private readonly row: CsvRow,
    private readonly file: string,
    private readonly errors: ErrorLog,
  ) {}

  get valid(): boolean {
    return this.ok;
  }

  fail(column: string, message: string): void {
    this.ok = false;
    this.errors.add({ file: this.file, line: this.row.line, column, message });
  }

  /** A value that must be present and at most `max` characters long. */
  required(column: string, max: number): string {
    const value = this.row.get(column);
    if (value === '') this.fail(column, `${column} is required`);
    else if (value.length > max) this.fail(column, `${column} is longer than ${max} characters`);
    return value;
  }

  /** A value that may be blank (null), at most `max` characters long. */
  optional(column: string, max: number): string | null {
    const value = this.row.get(column);
    if (value.length > max) this.fail(column, `${column} is longer than ${max} characters`);
    return value === '' ? null : value;
  }

  email(column: string): string | null {
    const value = this.optional(column, 255);
    if (value !== null && !emailSchema.safeParse(value).success) this.fail(column, `${column} is not a valid email address`);
    return value;
  }

  status(): RowStatus {
    const value = this.row.get('status');
    const status = parseStatus(value);
    if (!status) this.fail('status', 'status is not active, tobedeleted or inactive');
    return status ?? 'active';
  }
}
