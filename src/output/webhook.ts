import type { WebhookView } from '../config/webhook-show.js';
import { displayWebhookUrl, maskWebhookUrl } from '../twilio/webhook.js';
import { safe, type Output } from './index.js';

/** What `webhook show` found (the core: config/webhook-show.ts). The production URL is a secret: it is only ever printed masked. */
export type { WebhookView } from '../config/webhook-show.js';

const printable = displayWebhookUrl;

export function webhookShowJson(v: WebhookView): Record<string, unknown> {
  return {
    config: v.config.name,
    phone_number: v.number.phoneNumber,
    number_sid: v.number.sid,
    sms_url: printable(v.number.smsUrl, v.productionUrl),
    sms_method: v.number.smsMethod,
    sms_fallback_url: printable(v.number.smsFallbackUrl, v.productionUrl),
    sms_fallback_method: v.number.smsFallbackMethod,
    kind: v.kind,
    fallback_kind: v.fallbackKind,
    production_url_recorded: v.productionUrl !== null,
    production_url: v.productionUrl ? maskWebhookUrl(v.productionUrl) : null,
    production_url_source: v.productionUrl ? (v.config.secretSource === 'env' ? 'env' : 'keychain') : null,
    listener: v.lease
      ? { pid: v.lease.pid, alive: v.leaseAlive, url: v.lease.ourUrl, since: v.lease.startedAt, hostname: v.lease.hostname }
      : null,
  };
}

/** One plain sentence about where inbound messages go now. */
export function webhookVerdict(v: WebhookView): string {
  const url = safe(printable(v.number.smsUrl, v.productionUrl) ?? '');
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
      return `Inbound messages currently go nowhere: the number has no "A MESSAGE COMES IN" webhook${v.number.smsFallbackUrl ? ' (only a fallback URL)' : ''}.`;
  }
}

export function printWebhookShow(out: Output, v: WebhookView): void {
  const c = out.color;
  const rows: [string, string][] = [
    ['config', safe(v.config.name)],
    ['number', `${v.number.phoneNumber} (${v.number.sid})`],
    ['sms url', v.number.smsUrl ? safe(`${printable(v.number.smsUrl, v.productionUrl)} (${v.number.smsMethod ?? 'POST'})`) : c.dim('(none)')],
    ['fallback', v.number.smsFallbackUrl ? safe(`${printable(v.number.smsFallbackUrl, v.productionUrl)} (${v.number.smsFallbackMethod ?? 'POST'})`) : c.dim('(none)')],
    ['is', kindText(v)],
    [
      'production',
      v.productionUrl
        ? `${safe(maskWebhookUrl(v.productionUrl))} (${v.config.secretSource === 'env' ? 'from $FRUXON_TWILIO_WEBHOOK_URL' : 'recorded in the OS keychain'})`
        : c.dim('not recorded'),
    ],
  ];
  if (v.lease) rows.push(['listener', `${v.leaseAlive ? 'running' : 'gone, not restored'} (pid ${v.lease.pid}) at ${safe(v.lease.ourUrl)}`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, val] of rows) out.line(`${c.dim(k.padEnd(w))}  ${val}`);
  out.line();
  out.line(webhookVerdict(v));
  const flag = v.config.isDefault ? '' : ` --config ${JSON.stringify(v.config.name)}`;
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

function kindText(v: WebhookView): string {
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
