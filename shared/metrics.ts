import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { config } from './config';

/**
 * The service's CloudWatch metrics, written as EMF lines on stdout (no API call, no latency): the
 * Lambda runtime ships them to CloudWatch. Every metric carries the `service` and `stage` dimensions; the alarms in
 * infra/alarms.yml name this namespace and these metric names.
 * POWERTOOLS_METRICS_DISABLED=true silences them (tests, `npm start`).
 */
export const METRICS_NAMESPACE = 'SchoolRoster';
export const SYNC_FAILED_METRIC = 'SyncFailed';

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'school-roster', defaultDimensions: { stage: config.stage } });

export interface SyncRunMetrics {
  failed: boolean;
  durationMs: number;
  /** Counts of the run's summary, e.g. `{ usersCreated: 3, schoolsDeleted: 0, errors: 1 }`. */
  counts: Readonly<Record<string, number>>;
}

/**
 * Publishes one roster sync run: `SyncFailed` (0 or 1, so the alarm sees every run), `SyncDuration`
 * and each count under its own name, as one EMF entry.
 */
export function publishSyncRun(run: SyncRunMetrics): void {
  metrics.addMetric(SYNC_FAILED_METRIC, MetricUnit.Count, run.failed ? 1 : 0);
  metrics.addMetric('SyncDuration', MetricUnit.Milliseconds, run.durationMs);
  for (const [name, value] of Object.entries(run.counts)) metrics.addMetric(name, MetricUnit.Count, value);
  metrics.publishStoredMetrics();
}
