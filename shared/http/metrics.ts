import type { MiddlewareObj, Request } from '@middy/core';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '../metrics';
import type { HttpEvent, HttpResult } from './types';

type HttpRequest = Request<HttpEvent, HttpResult>;

/**
 * `Requests` (count) and `Latency` (ms) per request, by route template and status class (`2xx`, `4xx`,
 * `5xx`): a few dozen dimension combinations at most, never an id or a raw path. A `ColdStart` count
 * marks a new container. Placed first in the stack so that it sees the response the error handler
 * rendered; it flushes on success and on error alike.
 */
export function requestMetrics(): MiddlewareObj<HttpEvent, HttpResult> {
  const started = new WeakMap<object, number>();
  const publish = (request: HttpRequest) => {
    const statusCode = request.response?.statusCode ?? 500;
    metrics.addDimensions({ route: request.event.routeKey, statusClass: `${Math.floor(statusCode / 100)}xx` });
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    metrics.addMetric('Latency', MetricUnit.Milliseconds, Math.round(performance.now() - (started.get(request.context) ?? performance.now())));
    metrics.publishStoredMetrics();
  };
  return {
    before: (request) => {
      started.set(request.context, performance.now());
      metrics.captureColdStartMetric(request.context.functionName);
    },
    after: publish,
    onError: publish,
  };
}
