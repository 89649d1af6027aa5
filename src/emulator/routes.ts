import { alertRoutes } from './alert-routes.js';
import { contentRoutes } from './content-routes.js';
import { conversationsRoutes } from './conversations-routes.js';
import type { EmulatorCore } from './core.js';
import { apiErrors } from './errors.js';
import { messagingRoutes } from './messaging-routes.js';
import {
  acceptedMessageJson,
  accountJson,
  applicationJson,
  listPage,
  mediaJson,
  messageJson,
  numberJson,
} from './resources.js';
import { type EmulatorRoute, methodParam, ok, type RouteDefinition, urlParam } from './route-kit.js';
import { matchesPhoneNumberFilter } from './routing.js';
import { defined, newApplication } from './topology.js';
import type { EmulatorApplication, EmulatorMessage, EmulatorNumber } from './types.js';

const V = '/2010-04-01/Accounts';

const routeDefinitions: RouteDefinition[] = [
  {
    method: 'GET',
    path: `${V}/{Sid}.json`,
    handle: ({ core }) => ok(accountJson(core.state.account)),
  },
  {
    method: 'GET',
    path: `${V}/{AccountSid}/IncomingPhoneNumbers.json`,
    handle: ({ core, path, query }) => {
      const phoneNumber = query.get('PhoneNumber');
      const friendlyName = query.get('FriendlyName');
      const numbers = [...core.state.numbers.values()]
        .filter((n) => phoneNumber === null || matchesPhoneNumberFilter(n.phoneNumber, phoneNumber))
        .filter((n) => friendlyName === null || n.friendlyName === friendlyName)
        .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime());
      const filters = pick(query, ['PhoneNumber', 'FriendlyName']);
      const accountSid = core.state.account.sid;
      return ok(
        listPage({ path, filters, query }, 'incoming_phone_numbers', numbers, (n) => numberJson(accountSid, n)),
      );
    },
  },
  {
    method: 'GET',
    path: `${V}/{AccountSid}/IncomingPhoneNumbers/{Sid}.json`,
    handle: ({ core, params, path }) => ok(numberJson(core.state.account.sid, findNumber(core, params.Sid!, path))),
  },
  {
    method: 'POST',
    path: `${V}/{AccountSid}/IncomingPhoneNumbers/{Sid}.json`,
    handle: ({ core, params, path, form }) => {
      const number = findNumber(core, params.Sid!, path);
      const appSid = form.get('SmsApplicationSid');
      if (appSid && !core.state.applications.has(appSid)) {
        throw apiErrors.invalidParameter(`SmsApplicationSid ${appSid} is not an application of this account`);
      }
      const updated = core.updateNumber(number, {
        friendlyName: form.get('FriendlyName') ?? undefined,
        smsApplicationSid: appSid ?? undefined,
        smsUrl: urlParam(form, 'SmsUrl'),
        smsMethod: methodParam(form, 'SmsMethod'),
        smsFallbackUrl: urlParam(form, 'SmsFallbackUrl'),
        smsFallbackMethod: methodParam(form, 'SmsFallbackMethod'),
        statusCallback: urlParam(form, 'StatusCallback'),
        statusCallbackMethod: methodParam(form, 'StatusCallbackMethod'),
      });
      return ok(numberJson(core.state.account.sid, updated));
    },
  },
  {
    method: 'POST',
    path: `${V}/{AccountSid}/Messages.json`,
    handle: ({ core, form }) => {
      const message = core.createOutbound({
        to: form.get('To') ?? undefined,
        from: form.get('From') ?? undefined,
        messagingServiceSid: form.get('MessagingServiceSid') ?? undefined,
        body: form.get('Body') ?? undefined,
        mediaUrls: form.getAll('MediaUrl'),
        statusCallback: form.get('StatusCallback') ?? undefined,
        contentSid: form.get('ContentSid') ?? undefined,
        contentVariables: form.get('ContentVariables') ?? undefined,
      });
      const picked = !form.get('From') && Boolean(form.get('MessagingServiceSid'));
      return { status: 201, body: picked ? acceptedMessageJson(message) : messageJson(message) };
    },
  },
  {
    method: 'GET',
    path: `${V}/{AccountSid}/Messages.json`,
    handle: ({ core, path, query }) => {
      const to = query.get('To');
      const from = query.get('From');
      const sentFilters = ['DateSent', 'DateSent<', 'DateSent>'].flatMap((key) => {
        const value = query.get(key);
        return value === null ? [] : [dateSentFilter(key, value)];
      });
      const messages = core.state
        .allMessages()
        .flatMap((m) => core.alerts.listed(m) ?? []) // as the list shows them: `--list-lag` hides the newest
        .reverse() // newest first, as Twilio lists them
        .filter((m) => to === null || m.to === to)
        .filter((m) => from === null || m.from === from)
        .filter((m) => sentFilters.every((accepts) => accepts(m)));
      const filters = pick(query, ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>']);
      return ok(listPage({ path, filters, query }, 'messages', messages, messageJson));
    },
  },
  {
    method: 'GET',
    path: `${V}/{AccountSid}/Messages/{Sid}.json`,
    handle: ({ core, params, path }) => {
      const message = core.state.getMessage(params.Sid!);
      if (!message) throw apiErrors.notFound(path);
      return ok(messageJson(message));
    },
  },
  {
    method: 'GET',
    path: `${V}/{AccountSid}/Messages/{MessageSid}/Media.json`,
    handle: ({ core, params, path, query }) => {
      const message = core.state.getMessage(params.MessageSid!);
      if (!message) throw apiErrors.notFound(path);
      const items = message.media.map((_, i) => mediaJson(message, i));
      return ok(listPage({ path, filters: [], query }, 'media_list', items, (x) => x));
    },
  },
  {
    method: 'GET',
    path: `${V}/{AccountSid}/Messages/{MessageSid}/Media/{Sid}.json`,
    handle: ({ core, params, path }) => {
      const message = core.state.getMessage(params.MessageSid!);
      const index = message ? message.media.findIndex((_, i) => mediaJson(message, i).sid === params.Sid) : -1;
      if (!message || index < 0) throw apiErrors.notFound(path);
      return ok(mediaJson(message, index));
    },
  },
  {
    method: 'GET',
    path: `${V}/{AccountSid}/Applications.json`,
    handle: ({ core, path, query }) => {
      const friendlyName = query.get('FriendlyName');
      const apps = [...core.state.applications.values()]
        .filter((a) => friendlyName === null || a.friendlyName === friendlyName)
        .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime());
      const accountSid = core.state.account.sid;
      return ok(
        listPage({ path, filters: pick(query, ['FriendlyName']), query }, 'applications', apps, (a) =>
          applicationJson(accountSid, a),
        ),
      );
    },
  },
  {
    method: 'POST',
    path: `${V}/{AccountSid}/Applications.json`,
    handle: ({ core, form }) => {
      const app = newApplication(applicationParams(form), undefined, core.now());
      core.state.saveApplication(app);
      return { status: 201, body: applicationJson(core.state.account.sid, app) };
    },
  },
  {
    method: 'GET',
    path: `${V}/{AccountSid}/Applications/{Sid}.json`,
    handle: ({ core, params, path }) =>
      ok(applicationJson(core.state.account.sid, findApplication(core, params.Sid!, path))),
  },
  {
    method: 'POST',
    path: `${V}/{AccountSid}/Applications/{Sid}.json`,
    handle: ({ core, params, path, form }) => {
      const app = findApplication(core, params.Sid!, path);
      const updated: EmulatorApplication = { ...app, ...defined(applicationParams(form)), dateUpdated: core.now() };
      core.state.saveApplication(updated);
      return ok(applicationJson(core.state.account.sid, updated));
    },
  },
  {
    method: 'DELETE',
    path: `${V}/{AccountSid}/Applications/{Sid}.json`,
    handle: ({ core, params, path }) => {
      const app = findApplication(core, params.Sid!, path);
      // Numbers that used the app go back to their own sms_* URLs.
      for (const n of core.state.numbers.values()) {
        if (n.smsApplicationSid === app.sid) core.updateNumber(n, { smsApplicationSid: '' });
      }
      core.state.deleteApplication(app.sid);
      return { status: 204, body: undefined };
    },
  },
  ...messagingRoutes,
  ...conversationsRoutes,
  ...contentRoutes,
  ...alertRoutes,
];

/** Every method + path the emulator serves, for contract tests against Twilio's OpenAPI descriptions. */
export const emulatorRoutes: readonly EmulatorRoute[] = routeDefinitions.map(({ method, path }) => ({ method, path }));

const compiled = routeDefinitions.map((route) => {
  const names: string[] = [];
  const source = route.path
    .split(/(\{[A-Za-z]+\})/)
    .map((part) => {
      const name = /^\{([A-Za-z]+)\}$/.exec(part)?.[1];
      if (name) {
        names.push(name);
        return '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return { route, names, pattern: new RegExp(`^${source}$`) };
});

export type RouteMatch =
  | { kind: 'found'; route: RouteDefinition; params: Record<string, string> }
  | { kind: 'method-not-allowed' }
  | { kind: 'not-found' };

export function matchRoute(method: string, pathname: string): RouteMatch {
  let pathMatched = false;
  for (const { route, names, pattern } of compiled) {
    const m = pattern.exec(pathname);
    if (!m) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    const params: Record<string, string> = {};
    for (const [i, name] of names.entries()) params[name] = decodeURIComponent(m[i + 1]!);
    return { kind: 'found', route, params };
  }
  return pathMatched ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
}

/**
 * The account SID a matched path addresses (`{Sid}` on the account resource itself); undefined for the messaging
 * APIs, whose paths carry none (the credentials name the account).
 */
export function pathAccountSid(match: Extract<RouteMatch, { kind: 'found' }>): string | undefined {
  if (!match.route.path.startsWith(V)) return undefined;
  return match.params.AccountSid ?? match.params.Sid!;
}

function findApplication(core: EmulatorCore, sid: string, path: string): EmulatorApplication {
  const app = core.state.applications.get(sid);
  if (!app) throw apiErrors.notFound(path);
  return app;
}

function applicationParams(form: URLSearchParams) {
  return {
    friendlyName: form.get('FriendlyName') ?? undefined,
    smsUrl: urlParam(form, 'SmsUrl'),
    smsMethod: methodParam(form, 'SmsMethod'),
    smsFallbackUrl: urlParam(form, 'SmsFallbackUrl'),
    smsFallbackMethod: methodParam(form, 'SmsFallbackMethod'),
    smsStatusCallback: urlParam(form, 'SmsStatusCallback'),
  };
}

function findNumber(core: EmulatorCore, sid: string, path: string): EmulatorNumber {
  const number = core.state.numbers.get(sid);
  if (!number) throw apiErrors.notFound(path);
  return number;
}

function pick(query: URLSearchParams, keys: string[]): [string, string][] {
  return keys.flatMap((key) => {
    const value = query.get(key);
    return value === null ? [] : [[key, value] as [string, string]];
  });
}

/**
 * `DateSent=YYYY-MM-DD` matches that UTC day, `DateSent<` and `DateSent>` are inclusive bounds; a full timestamp
 * (what the twilio client sends for `dateSentBefore`/`dateSentAfter`) compares to the second.
 */
function dateSentFilter(key: string, value: string): (m: EmulatorMessage) => boolean {
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const bound = dayOnly ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
  if (Number.isNaN(bound)) throw apiErrors.invalidParameter(`${key} is not a valid date: ${value}`);
  const dayMs = 24 * 60 * 60 * 1000;
  return (m) => {
    if (!m.dateSent) return false;
    const t = m.dateSent.getTime();
    const sentDay = Math.floor(t / dayMs) * dayMs;
    const sentSecond = Math.floor(t / 1000) * 1000;
    if (key === 'DateSent') return dayOnly ? sentDay === bound : sentSecond === bound;
    if (key === 'DateSent<') return dayOnly ? sentDay <= bound : sentSecond <= bound;
    return dayOnly ? sentDay >= bound : sentSecond >= bound;
  };
}
