import type { z } from 'zod';
import { ValidationError, type FieldError } from './errors';

function toFieldErrors(issues: z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: 'is not a known field' }));
    }
    return [{ path, message: issue.message }];
  });
}

/**
 * Parses `value` with `schema`.
 * @throws ValidationError naming every bad field
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, message?: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(toFieldErrors(result.error.issues), message);
  return result.data;
}
