import type { WebhookView } from '../operations/webhook-show.js';
import { type Alert, type AlertSummary, alertFix, describeAlert } from '../twilio/alerts.js';
import {
  CONVERSATIONS_UNKNOWN,
  conversationsSentence,
  conversationsUnknown,
  type Route,
  routeName,
} from '../twilio/route.js';
import { sandboxJoinStep } from '../twilio/sandbox.js';
import { classifyWebhook, displayWebhookUrl, maskWebhookUrl } from '../twilio/webhook.js';
import { maskSid } from '../validate.js';
import { listenerJson } from './configs.js';
import { type Output, safe } from './index.js';

/** What `webhook show` found (the core: operations/webhook-show.ts). The production URL is a secret: it is only ever printed masked. */
export type { WebhookView } from '../operations/webhook-show.js';

const printable = displayWebhookUrl;

/** A route as `webhook show --json` spells it: its URLs masked as the number's are. */
export function routeJson(r: Route, productionUrl: string | null): Record<string, unknown> {
  return {
    layer: r.layer,
    sid: r.sid,
    friendly_name: r.friendlyName,
    url: printable(r.url, productionUrl),
    method: r.method,
    fallback_url: printable(r.fallbackUrl, productionUrl),
    shared_with: r.sharedWith,
    defers_to_number: r.defersToNumber,
    channel: r.channel,
    conversations:
      r.conversations === 'unknown'
        ? 'unknown'
        : r.conversations
          ? {
              sid: r.conversations.sid,
              address: r.conversations.address,
              auto_creation: r.conversations.enabled,
              type: r.conversations.type,
            }
          : null,
  };
}

export function webhookShowJson(v: WebhookView): Record<string, unknown> {
  const n = v.number;
  return {
    config: v.config.name,
    phone_number: n?.phoneNumber ?? v.config.fromNumber,
    number_sid: n?.sid ?? null,
    sms_url: printable(n?.smsUrl, v.productionUrl),
    sms_method: n?.smsMethod ?? null,
    sms_fallback_url: printable(n?.smsFallbackUrl, v.productionUrl),
    sms_fallback_method: n?.smsFallbackMethod ?? null,
    kind: v.kind,
    fallback_kind: v.fallbackKind,
    fallback_listener: v.fallbackListener?.state ?? null,
    production_url_recorded: v.productionUrl !== null,
    production_url: v.productionUrl ? maskWebhookUrl(v.productionUrl) : null,
    production_url_source: v.productionUrl ? (v.config.secretSource === 'env' ? 'env' : 'keychain') : null,
    listener: v.lease ? { ...listenerJson(v.lease, v.leaseAlive), hostname: v.lease.hostname } : null,
    route: routeJson(v.routes[0]!, v.productionUrl),
    ...(v.alerts && {
      alerts: webhookAlertsJson(v.alerts, v.productionUrl),
    }),
    ...(v.routes.length > 1 ? { routes: v.routes.map((r) => routeJson(r, v.productionUrl)) } : {}),
  };
}

/** Where one route's messages go and why, in one sentence; null for the number's own SmsUrl (webhookVerdict says it). */
export function routeSentence(r: Route, productionUrl: string | null, kind: string): string | null {
  const where = r.url ? `${safe(printable(r.url, productionUrl) ?? '')} (${kind})` : 'no URL';
  const sid = r.sid ? maskSid(r.sid) : '';
  const name = safe(r.friendlyName ?? '');
  switch (r.layer) {
    case 'number':
      return null;
    case 'messaging_service':
      return `Messaging Service '${name}' (${sid}) receives them: its inbound URL wins over the number's SmsUrl; it points at ${where}${r.sharedWith.length ? ` and also serves ${r.sharedWith.join(', ')}` : ''}.`;
    case 'none':
      return `Inbound messages are dropped: Messaging Service '${name}' (${sid}) has no inbound URL, and it wins over the number's SmsUrl.`;
    case 'application':
      return `TwiML App '${name}' (${sid}) receives them: its SMS URL wins over the number's SmsUrl; it points at ${where}.`;
    case 'whatsapp_sender':
      return `WhatsApp sender ${name} (${sid}) receives WhatsApp messages: its callback URL points at ${where}.`;
    case 'sandbox':
      return `The WhatsApp Sandbox receives them: its "When a message comes in" URL is set only in the Twilio Console (Messaging → Try it out → WhatsApp sandbox settings).`;
  }
}

/** One plain sentence about where inbound messages go now, and why. */
export function webhookVerdict(v: WebhookView): string {
  const layered = routeSentence(v.routes[0]!, v.productionUrl, kindText(v));
  if (layered) return layered;
  const url = safe(printable(v.number?.smsUrl, v.productionUrl) ?? '');
  switch (v.kind) {
    case 'production':
      return `Inbound messages go to Fruxon: the number points at the recorded production URL ${url}.`;
    case 'listener':
      return v.leaseAlive
        ? `Inbound messages go to a running listen on this machine (pid ${v.lease!.pid}, since ${v.lease!.startedAt}) at ${url}; it puts the previous webhook back when it stops.`
        : `Inbound messages go to a listen that is no longer running (pid ${v.lease!.pid}) at ${url}: they are lost until the webhook is put back (fruxon-twilio restore).`;
    case 'other':
      return `Inbound messages currently go to ${url}, which is neither the recorded production URL${v.productionUrl ? '' : ' (none is recorded)'} nor a listen of this machine.`;
    case 'none':
      return `Inbound messages currently go nowhere: the number has no "A MESSAGE COMES IN" webhook${v.number?.smsFallbackUrl ? ' (only a fallback URL)' : ''}.`;
  }
}

export function printWebhookShow(out: Output, v: WebhookView): void {
  const c = out.color;
  const n = v.number;
  const winner = v.routes[0]!;
  const fallback = winner.layer === 'sandbox' ? null : winner.fallbackUrl;
  const rows: [string, string][] = [
    ['config', safe(v.config.name)],
    ['number', n ? `${n.phoneNumber} (${n.sid})` : `${v.config.fromNumber} (the WhatsApp Sandbox)`],
    [
      'sms url',
      n?.smsUrl ? safe(`${printable(n.smsUrl, v.productionUrl)} (${n.smsMethod ?? 'POST'})`) : c.dim('(none)'),
    ],
    // The fallback of the layer that wins (the number's own when it decides).
    [
      'fallback',
      fallback
        ? safe(`${printable(fallback, v.productionUrl)} (${winner.fallbackMethod ?? 'POST'})`) +
          (winner.layer === 'number' ? '' : c.dim(` (${safe(routeName(winner, 'label'))})`))
        : c.dim('(none)'),
    ],
    ['goes to', v.kind === 'none' ? 'nowhere (no URL)' : kindText(v)],
    [
      'production',
      v.productionUrl
        ? `${safe(maskWebhookUrl(v.productionUrl))} (${v.config.secretSource === 'env' ? 'from $FRUXON_TWILIO_WEBHOOK_URL' : 'recorded in the OS keychain'})`
        : c.dim('not recorded'),
    ],
  ];
  if (v.alerts)
    rows.push([
      'alerts',
      v.alerts.latest
        ? c.yellow(
            `${v.alerts.count} in the last 24 h; latest ${clock(v.alerts.latest.dateCreated)}: ${safe(alertLine(v.alerts.latest, v.productionUrl))}`,
          )
        : c.dim('none in the last 24 h'),
    ]);
  else if (v.alertsError) rows.push(['alerts', c.dim(`not read: ${safe(v.alertsError)}`)]);
  if (v.lease)
    rows.push([
      'listener',
      `${v.leaseAlive ? 'running' : 'gone, not restored'} (pid ${v.lease.pid}) at ${safe(v.lease.ourUrl)}`,
    ]);
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, val] of rows) out.line(`${c.dim(k.padEnd(w))}  ${val}`);
  out.line();
  out.line(webhookVerdict(v));
  if (v.routes.some((r) => r.layer === 'sandbox'))
    out.line(`Only the Sandbox's participants get through: ${safe(sandboxJoinStep(v.sandboxJoinCode))}.`);
  for (const r of v.routes.slice(1)) {
    const extra = routeSentence(
      r,
      v.productionUrl,
      kindText({ ...v, kind: classifyWebhook(r.url, { productionUrl: v.productionUrl, lease: v.lease }) }),
    );
    if (extra) out.line(extra);
  }
  const fbLine = fallbackListenerLine(v);
  if (fbLine) out.warn(fbLine);
  for (const r of v.routes) {
    const conv = conversationsSentence(r);
    if (conv) out.warn(safe(conv));
  }
  if (conversationsUnknown(v.routes)) out.status(out.errColor.dim(CONVERSATIONS_UNKNOWN));
  const flag = v.config.isDefault ? '' : ` --config ${JSON.stringify(v.config.name)}`;
  const fix = v.alerts?.latest ? alertFix(v.alerts.latest.errorCode, v.alerts.latest.resourceSid) : undefined;
  if (fix) out.status(`Webhook alerts: ${safe(fix)} (see them live: fruxon-twilio messages tail --since 24h${flag})`);
  if (v.kind !== 'production' && !(v.kind === 'listener' && v.leaseAlive)) {
    out.status(
      v.productionUrl
        ? `To point it at Fruxon: fruxon-twilio webhook set${flag}`
        : v.config.secretSource === 'env'
          ? 'To point it at Fruxon: set FRUXON_TWILIO_WEBHOOK_URL to the webhook URL Fruxon shows for the config, then: fruxon-twilio webhook set'
          : `To point it at Fruxon: printf %s "$URL" | fruxon-twilio configs set ${JSON.stringify(v.config.name)} --webhook-url-stdin, then: fruxon-twilio webhook set${flag}`,
    );
  }
}

/** A fallback URL that points at a listener that is gone (or may be): what the primary URL refuses is lost there. */
export function fallbackListenerLine(v: Pick<WebhookView, 'fallbackListener'>): string | null {
  const f = v.fallbackListener;
  if (!f || f.state === 'alive') return null;
  return f.state === 'gone'
    ? `the fallback URL points at a listen that is no longer running (pid ${f.pid}): what the primary URL refuses or does not answer is lost; change or clear it in the Twilio Console`
    : "the fallback URL is a fruxon-twilio listener's that no listen of this machine holds: if that listen has stopped, what the primary URL refuses or does not answer is lost; change or clear it in the Twilio Console";
}

function kindText(v: Pick<WebhookView, 'kind' | 'leaseAlive'>): string {
  switch (v.kind) {
    case 'production':
      return 'the recorded production URL (Fruxon)';
    case 'listener':
      return v.leaseAlive ? 'a running listen of this machine' : 'a listen that is no longer running';
    case 'other':
      return 'something else';
    case 'none':
      return 'none';
  }
}

/** A layer as a short name: "Messaging Service 'Support' (MG…1234)", `+1… "A MESSAGE COMES IN"` (twilio/route.ts names it), escaped. */
export function routeLabel(r: Route): string {
  return safe(routeName(r, 'label'));
}

/** An alert's line with its URL shown as the number's are (a production URL masked). */
export function alertLine(a: Alert, productionUrl: string | null): string {
  return describeAlert({ ...a, url: printable(a.url, productionUrl) });
}

/** `webhook show --json`'s `alerts`: how many in the window and the newest, its URL masked. */
export function webhookAlertsJson(s: AlertSummary, productionUrl: string | null): Record<string, unknown> {
  return {
    since: s.since.toISOString(),
    count: s.count,
    latest: s.latest ? alertLineJson(s.latest, productionUrl) : null,
  };
}

function alertLineJson(a: Alert, productionUrl: string | null): Record<string, unknown> {
  return {
    sid: a.sid,
    error_code: a.errorCode,
    message_sid: a.resourceSid,
    url: printable(a.url, productionUrl),
    http_status: a.httpStatus,
    date_created: a.dateCreated?.toISOString() ?? null,
    text: alertLine(a, productionUrl),
    fix: alertFix(a.errorCode, a.resourceSid) ?? null,
  };
}

function clock(d: Date | null): string {
  return d ? `${d.toISOString().slice(11, 16)} UTC` : '?';
}
