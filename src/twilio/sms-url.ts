import type { Lease } from '../store/leases.js';
import { sameWebhookUrl } from './webhook.js';

/** Who a number's "A MESSAGE COMES IN" URL belongs to. */
export type SmsUrlOwner = 'ours' | 'fruxon' | 'other' | 'none';

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

/** ours = a listener lease's URL on this machine's store; Fruxon's = its ingress; other = anything else. */
export function classifySmsUrl(
  smsUrl: string | null,
  opts: { leases: readonly Lease[]; fruxonUrls?: readonly string[] },
): { owner: SmsUrlOwner; lease?: Lease } {
  if (!smsUrl) return { owner: 'none' };
  const lease = opts.leases.find((l) => sameWebhookUrl(l.ourUrl, smsUrl));
  if (lease) return { owner: 'ours', lease };
  if (isFruxonIngressUrl(smsUrl, opts.fruxonUrls)) return { owner: 'fruxon' };
  return { owner: 'other' };
}

/** What may be shown of a URL that is not ours: its origin only (paths and queries can carry tokens). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname !== '/' || u.search ? '/…' : ''}`;
  } catch {
    return '(not a URL)';
  }
}
