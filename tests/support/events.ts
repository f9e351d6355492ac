import type { Context } from 'aws-lambda';
import { httpEvent, lambdaContext, type HttpEventInput } from '../../scripts/lambda-events';

export { FULL_ACCESS_CLAIMS, httpEvent, lambdaContext, type HttpEventInput } from '../../scripts/lambda-events';

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: any;
}

export type Invocable = (event: any, context: Context) => Promise<unknown>;

/** Invokes a handler with an event built from `input` and returns the reply with its body parsed. */
export async function invoke(handler: Invocable, input: HttpEventInput): Promise<HttpReply> {
  const result = (await handler(httpEvent(input), lambdaContext())) as {
    statusCode: number;
    headers?: Record<string, string>;
    body?: string;
  };
  return {
    status: result.statusCode,
    headers: (result.headers ?? {}) as Record<string, string>,
    body: result.body ? JSON.parse(result.body) : undefined,
  };
}

/** How many replies had each status: `{ 200: 19, 412: 1 }`. */
export function countBy(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
