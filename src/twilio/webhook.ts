import { shellQuote } from '../shell.js';
import type { Lease } from '../store/index.js';
import type { PhoneNumberInfo } from './numbers.js';

/**
 * What a number's "A MESSAGE COMES IN" webhook points at, and what a listener's restore should say about it.
 * Pure functions: no I/O, nothing printed. The production webhook URL is a secret (Fruxon mints it with a
 * key in it and shows it once), so it only ever leaves this module masked.
 */

export type WebhookKind = 'production' | 'listener' | 'other' | 'none';

/**
 * The URL with its secret cut off: origin, then at most four characters of the last path segment (the key
 * Fruxon mints), then an ellipsis. `https://ingress.fruxon.com/t/acme/k3y0123456789` -> `https://ingress.fruxon.com/…/k3y0…`.
 * Query and fragment are never shown. A value that is not a URL is shown as `…` alone.
 */
export function maskWebhookUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '…';
  }
  const segments = u.pathname.split('/').filter(Boolean);
  const key = segments.at(-1) ?? '';
  // Short keys get fewer characters shown: never more than a quarter of the key.
  const shown = key.slice(0, Math.min(4, Math.floor(key.length / 4)));
  return `${u.origin}/${segments.length > 1 ? '…/' : ''}${shown}…`;
}

/**
 * A webhook URL as it may be printed: the recorded production URL, and any URL on Fruxon's ingress hosts
 * (another config's production URL, whatever its key looks like), masked; any other URL with whatever looks
 * like a key (a path segment or query value of 16+ characters mixing letters and digits) cut to four
 * characters, since it may be a production URL of Fruxon's that is not recorded here. Plain URLs such as
 * a tunnel's or https://demo.twilio.com/welcome/sms/reply are shown as they are.
 */
export function displayWebhookUrl(url: string | null | undefined, productionUrl?: string | null): string | null {
  if (!url) return null;
  if (sameWebhookUrl(url, productionUrl) || isFruxonIngressUrl(url)) return maskWebhookUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  const looksSecret = (v: string) => v.length >= 16 && /[A-Za-z]/.test(v) && /\d/.test(v);
  const cut = (v: string) => (looksSecret(v) ? `${v.slice(0, 4)}…` : v);
  const path = u.pathname
    .split('/')
    .map((seg) => cut(decodeURIComponent(seg)))
    .join('/');
  const query = [...u.searchParams].map(([k, v]) => `${k}=${cut(v)}`).join('&');
  const auth = u.username ? '…@' : '';
  return `${u.protocol}//${auth}${u.host}${path}${query ? `?${query}` : ''}`;
}

/**
 * Two webhook URLs are the same when they parse to the same URL (case of scheme and host, default port), their
 * fragments aside: a fragment holds Twilio's connection overrides (`#rc=…&ct=…&e=…`), not where it goes.
 */
export function sameWebhookUrl(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  return normalize(a) === normalize(b);
}

function normalize(url: string): string {
  try {
    const u = new URL(url.trim());
    u.hash = '';
    return u.toString();
  } catch {
    return url.trim().replace(/#.*$/s, '');
  }
}

/** A URL's fragment with its `#` (Twilio's connection overrides), or '' when it has none. */
export function urlFragment(url: string | null | undefined): string {
  const at = url?.indexOf('#') ?? -1;
  return at < 0 ? '' : url!.slice(at);
}

/** The recorded production URL with `fragment` (the overrides the layer had) in place of its own. */
export function withFragment(url: string, fragment: string | undefined): string {
  if (fragment === undefined) return url;
  const at = url.indexOf('#');
  return (at < 0 ? url : url.slice(0, at)) + fragment;
}

/**
 * Whether a URL is Fruxon's webhook ingress: a host under fruxon.com, or one of the production webhook URLs
 * recorded for the configs (pass them in `known`; they are secrets, so compare, never print).
 */
export function isFruxonIngressUrl(url: string, known: readonly string[] = []): boolean {
  if (known.some((k) => sameWebhookUrl(k, url))) return true;
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host === 'fruxon.com' || host.endsWith('.fruxon.com');
  } catch {
    return false;
  }
}

/** The path of every listener of this tool: store/configs.ts webhookPath, `/webhooks/twilio/<config id>`. */
const LISTENER_PATH = /^\/webhooks\/twilio\/[A-Za-z0-9_-]{8,}\/?$/;

/**
 * Whether a URL has the shape of a fruxon-twilio listener's (its path), whichever machine or data home runs it:
 * such a URL is never production, and a lease never records it as what to put back.
 */
export function isListenerUrl(url: string | null | undefined): boolean {
  if (!url) return false;
  try {
    return LISTENER_PATH.test(new URL(url.trim()).pathname);
  } catch {
    return false;
  }
}

/** What the classifier may know besides the URL. */
export interface WebhookKnowledge<L extends Pick<Lease, 'ourUrl'> = Pick<Lease, 'ourUrl'>> {
  /** The config's recorded production URL (a secret: compared, never printed). */
  productionUrl: string | null | undefined;
  /** The config's lease, if any. */
  lease?: L | null | undefined;
  /** Every lease of the store (`doctor`): a URL of any of them is a listener's too. */
  leases?: readonly L[];
}

/** A webhook URL classified: its kind, the lease whose URL it is (kind 'listener'), and whether it is Fruxon's. */
export interface WebhookClass<L> {
  kind: WebhookKind;
  lease: L | null;
  /** The recorded production URL, or a URL on Fruxon's ingress (isFruxonIngressUrl) that is not recorded here. */
  fruxon: boolean;
}

/**
 * The one classifier of a webhook URL (`webhook show`, `doctor`, `fruxon status`, `test`'s diagnosis): the
 * config's recorded production URL, a listener's URL (a lease's `ourUrl`, alive or not: the caller tells them
 * apart with isLeaseAlive), something else (which may still be on Fruxon's ingress: `fruxon`), or nothing.
 */
export function classifyWebhookUrl<L extends Pick<Lease, 'ourUrl'>>(
  currentUrl: string | null | undefined,
  known: WebhookKnowledge<L>,
): WebhookClass<L> {
  if (!currentUrl?.trim()) return { kind: 'none', lease: null, fruxon: false };
  if (sameWebhookUrl(currentUrl, known.productionUrl)) return { kind: 'production', lease: null, fruxon: true };
  const lease =
    [known.lease ?? null, ...(known.leases ?? [])].find((l) => l && sameWebhookUrl(currentUrl, l.ourUrl)) ?? null;
  if (lease) return { kind: 'listener', lease, fruxon: false };
  return { kind: 'other', lease: null, fruxon: isFruxonIngressUrl(currentUrl) };
}

/**
 * Whether a URL (a fallback, say) is a listener's, and whether that listener still runs: 'alive' or 'gone'
 * for a lease's URL (`isAlive` tells them apart), 'unknown' for a URL of a listener's shape that no lease of
 * this store holds (another machine's or data home's listen, running or not); null for any other URL.
 */
export function listenerState<L extends Pick<Lease, 'ourUrl'>>(
  url: string | null | undefined,
  known: WebhookKnowledge<L>,
  isAlive: (lease: L) => boolean,
): { state: 'alive' | 'gone' | 'unknown'; lease: L | null } | null {
  const c = classifyWebhookUrl(url, known);
  if (c.kind === 'listener') return { state: isAlive(c.lease!) ? 'alive' : 'gone', lease: c.lease };
  if (c.kind === 'other' && isListenerUrl(url)) return { state: 'unknown', lease: null };
  return null;
}

/** classifyWebhookUrl's kind alone. */
export function classifyWebhook(
  currentUrl: string | null | undefined,
  known: { productionUrl: string | null | undefined; lease: Pick<Lease, 'ourUrl'> | null | undefined },
): WebhookKind {
  return classifyWebhookUrl(currentUrl, known).kind;
}

/** What a listener's restore does with the previous webhook, and the sentence it should print (null: nothing to say). */
export interface RestorePlan {
  /** Always the previous value: a restore never guesses. '' when the number had none. */
  restoreUrl: string;
  /** What the previous value was: the recorded production URL, none, or something else. */
  kind: 'production' | 'none' | 'other';
  /** A warning for stderr when the number will not end up on the recorded production URL; never the whole URL. */
  note: string | null;
}

/**
 * For listen's restore: it puts back `previousUrl` as it was, and says so when that is empty or is not the
 * recorded production URL (`productionUrl`, null when none is recorded). `configName` goes into the hint.
 */
export function describeRestore(
  previousUrl: string | null | undefined,
  productionUrl: string | null | undefined,
  configName?: string,
): RestorePlan {
  const prev = previousUrl?.trim() ?? '';
  const flag = configName ? ` --config ${shellQuote(configName)}` : '';
  if (!prev) {
    return {
      restoreUrl: '',
      kind: 'none',
      note: productionUrl
        ? `the number had no webhook before listen, so it is left with none: inbound messages will not reach Fruxon (the recorded production URL ${maskWebhookUrl(productionUrl)} was not put back; to point it there: fruxon-twilio webhook set${flag})`
        : `the number had no webhook before listen, so it is left with none: inbound messages will not reach Fruxon (record Fruxon's webhook URL with: fruxon-twilio configs set ${configName ? shellQuote(configName) : 'NAME'} --webhook-url-stdin, then: fruxon-twilio webhook set${flag})`,
    };
  }
  if (sameWebhookUrl(prev, productionUrl)) return { restoreUrl: prev, kind: 'production', note: null };
  return {
    restoreUrl: prev,
    kind: 'other',
    note: productionUrl
      ? `put back the number's previous webhook ${displayWebhookUrl(prev, productionUrl)}, which is not the recorded production URL ${maskWebhookUrl(productionUrl)}; to point it at Fruxon: fruxon-twilio webhook set${flag}`
      : null,
  };
}

/** The number's webhook as `webhook show` reports it. */
export interface WebhookState {
  number: PhoneNumberInfo;
  kind: WebhookKind;
  /** The lease's process is running (only meaningful when a lease exists). */
  listenerAlive: boolean;
}
