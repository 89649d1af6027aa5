import { alertDateBound, alertInstanceJson, alertJson, MONITOR_ORIGIN } from './alerts.js';
import { apiErrors } from './errors.js';
import { metaPage } from './resources.js';
import { ok, type RouteDefinition } from './route-kit.js';

/**
 * Monitor v1 (`https://monitor.twilio.com/v1/Alerts`, twilio_monitor_v1.json), on the emulator's one origin like
 * every Twilio host.
 */
export const alertRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/v1/Alerts',
    handle: ({ core, path, query }) => {
      const logLevel = query.get('LogLevel');
      const start = bound(query, 'StartDate', false);
      const end = bound(query, 'EndDate', true);
      const alerts = core.alerts
        .visible()
        .filter((a) => logLevel === null || a.logLevel === logLevel.toLowerCase())
        .filter((a) => start === null || a.dateCreated.getTime() >= start)
        .filter((a) => end === null || a.dateCreated.getTime() <= end);
      const filters = (['LogLevel', 'StartDate', 'EndDate'] as const).flatMap((key) => {
        const value = query.get(key);
        return value === null ? [] : [[key, value] as [string, string]];
      });
      return ok(metaPage({ path, query, filters }, 'alerts', alerts, alertJson, MONITOR_ORIGIN));
    },
  },
  {
    method: 'GET',
    path: '/v1/Alerts/{Sid}',
    handle: ({ core, params, path }) => {
      const alert = core.alerts.get(params.Sid!);
      if (!alert) throw apiErrors.notFound(path);
      return ok(alertInstanceJson(alert));
    },
  },
];

function bound(query: URLSearchParams, key: string, end: boolean): number | null {
  const value = query.get(key);
  if (value === null) return null;
  const t = alertDateBound(value, end);
  if (t === null) throw apiErrors.invalidParameter(`${key} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, got ${value}`);
  return t;
}
