import { alertDateBound, alertInstanceJson, alertJson, MONITOR_ORIGIN } from './alerts.js';
import type { EmulatorCore } from './core.js';
import { apiErrors } from './errors.js';
import { metaPage } from './resources.js';

/**
 * Monitor v1 (`https://monitor.twilio.com/v1/Alerts`), on the emulator's one origin like every Twilio host. The
 * shapes match routes.ts's RouteDefinition (not imported, to keep routes.ts free of another import circle).
 */
export const alertRoutes = [
  {
    method: 'GET' as const,
    path: '/v1/Alerts',
    handle: ({ core, path, query }: { core: EmulatorCore; path: string; query: URLSearchParams }) => {
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
      return {
        status: 200,
        body: metaPage({ path, query, filters, origin: MONITOR_ORIGIN }, 'alerts', alerts, alertJson),
      };
    },
  },
  {
    method: 'GET' as const,
    path: '/v1/Alerts/{Sid}',
    handle: ({ core, params, path }: { core: EmulatorCore; params: Record<string, string>; path: string }) => {
      const alert = core.alerts.get(params.Sid!);
      if (!alert) throw apiErrors.notFound(path);
      return { status: 200, body: alertInstanceJson(alert) };
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
