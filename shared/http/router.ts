import type * as z from 'zod';
import { NotFoundError } from '../errors';
import { parseInput } from '../validation';
import { routeOf, type ROUTES, type FunctionName, type Route, type RouteKey } from './routes';
import type { HttpEvent, HttpHandler, HttpResult } from './types';

type Routes = typeof ROUTES;
type Parsed<K extends RouteKey, Part extends 'params' | 'query' | 'body'> = Routes[K]['request'] extends Record<Part, infer S extends z.ZodType> ? z.infer<S> : undefined;

/** A route's input as its schemas in the route table parse it. */
interface RouteInput<K extends RouteKey> {
  params: Parsed<K, 'params'>;
  query: Parsed<K, 'query'>;
  body: Parsed<K, 'body'>;
}
type RouteHandler<K extends RouteKey> = (input: RouteInput<K>, event: HttpEvent) => Promise<HttpResult>;

/** The route keys the table gives to function `F`. */
type RoutesOf<F extends FunctionName> = { [K in RouteKey]: Routes[K]['function'] extends F ? K : never }[RouteKey];

/**
 * Validates the request with the route's schemas: path parameters, then the query string, then the body
 * (an optional body that is absent reads as `{}`). A part the route declares no schema for is ignored.
 * @throws ValidationError naming every bad field of the first bad part
 */
function parseRequest(route: Route, event: HttpEvent) {
  const { params, query, body, bodyOptional } = route.request;
  return {
    params: params && parseInput(params, event.pathParameters),
    query: query && parseInput(query, event.queryStringParameters ?? {}),
    body: body && parseInput(body, event.body === undefined && bodyOptional ? {} : event.body),
  };
}

/**
 * The function `name`'s dispatch: one handler for each route the table gives it (a missing or extra one
 * fails the type check), called with the input the route's schemas parsed. An unknown key can only come
 * from a mis-wired deployment; it answers 404, not 500.
 */
export function dispatch<F extends FunctionName>(name: F, handlers: { [K in RoutesOf<F>]: RouteHandler<K> }): HttpHandler {
  const byKey = handlers as Record<string, RouteHandler<RouteKey>>;
  return async (event) => {
    const route = routeOf(event.routeKey);
    if (route?.function !== name || !Object.hasOwn(byKey, event.routeKey)) throw new NotFoundError(`No route ${event.routeKey}.`);
    return byKey[event.routeKey](parseRequest(route, event) as RouteInput<RouteKey>, event);
  };
}
