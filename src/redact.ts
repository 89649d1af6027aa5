/**
 * THE redaction of secrets from text that leaves the process for a person to read: the API trace
 * (FRUXON_TWILIO_DEBUG), the bug file an unexpected error writes, `doctor --report`. Two layers:
 * - known values: every secret this run has handled (the Auth Token or API Key Secret, the Fruxon token, the
 *   production webhook URL, NGROK_AUTHTOKEN...) is registered with `add` and replaced wherever it appears,
 *   in plain, URL-encoded or JSON-escaped form;
 * - shapes: what looks like a secret even when this run never saw it: Basic/Bearer credentials, Fruxon tokens
 *   (`fx_pat_…`, `fx_sat_…`), 32-hex Auth Tokens, ngrok authtokens, secret-named query/form/JSON fields,
 *   cookies, and URL path segments that look like keys (a Fruxon webhook key, the inspector's token).
 * A leaf: no import from the project. Twilio SIDs (AC…, SM…, PN…) and UUIDs are kept: they are what a
 * maintainer needs to read a trace, and they authenticate nothing.
 */

export const REDACTED = '[redacted]';

/** The environment variables whose values are secrets (their values are registered by `fromEnv`). */
export const SECRET_ENV_VARS = [
  'TWILIO_AUTH_TOKEN',
  'TWILIO_API_SECRET',
  'FRUXON_TOKEN',
  'NGROK_AUTHTOKEN',
  'FRUXON_TWILIO_WEBHOOK_URL',
] as const;

/** Values shorter than this are not registered: replacing "abc" everywhere would shred the text, not protect it. */
const MIN_SECRET_LENGTH = 8;

const SID = /^[A-Z]{2}[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SECRET_NAME = /(?:token|secret|password|passwd|api[_-]?key|authorization|cookie|signature|webhook[_-]?key)/i;

/** A URL path segment or field value that looks like a key: 16+ characters mixing letters and digits, not a SID or UUID. */
export function looksLikeKey(v: string): boolean {
  return v.length >= 16 && /[A-Za-z]/.test(v) && /\d/.test(v) && !SID.test(v) && !UUID.test(v);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class Redactor {
  readonly #known = new Map<string, string>();
  #pattern: RegExp | null = null;

  /**
   * Registers secrets: each is replaced by `replacement` (default `[redacted]`) wherever it appears. A URL
   * (the production webhook URL) is shown as its origin and `/…[redacted]`.
   */
  add(value: string | null | undefined, replacement?: string): this {
    if (!value || value.length < MIN_SECRET_LENGTH) return this;
    const shown = replacement ?? (/^https?:\/\//i.test(value) ? `${originOf(value)}/…${REDACTED}` : REDACTED);
    for (const form of new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])) {
      if (form.length >= MIN_SECRET_LENGTH && !this.#known.has(form)) {
        this.#known.set(form, shown);
        this.#pattern = null;
      }
    }
    return this;
  }

  /** Registers the values of the secret environment variables (SECRET_ENV_VARS) that are set. */
  addEnv(env: NodeJS.ProcessEnv): this {
    for (const name of SECRET_ENV_VARS) this.add(env[name]);
    return this;
  }

  /** The text with every known secret and every secret-shaped value replaced. */
  redact(text: string): string {
    let t = text;
    if (this.#known.size > 0) {
      // Longest first, so that a URL is replaced whole before a key inside it.
      this.#pattern ??= new RegExp(
        [...this.#known.keys()]
          .sort((a, b) => b.length - a.length)
          .map(escapeRegExp)
          .join('|'),
        'g',
      );
      t = t.replace(this.#pattern, (m) => this.#known.get(m) ?? REDACTED);
    }
    return redactShapes(t);
  }

  /** Headers as `name: value` pairs, the value of every credential-bearing one replaced. */
  redactHeaders(headers: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined || v === null) continue;
      const value = Array.isArray(v) ? v.join(', ') : String(v);
      out[k] = SECRET_NAME.test(k) || /^x-twilio-signature$/i.test(k) ? headerMask(value) : this.redact(value);
    }
    return out;
  }
}

/** The redaction of text no run registered anything for: the shapes alone. */
export function redact(text: string): string {
  return redactShapes(text);
}

function headerMask(value: string): string {
  const scheme = /^(Basic|Bearer|Digest)\s/i.exec(value);
  return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

function redactShapes(text: string): string {
  return (
    text
      // Credentials in headers and URLs.
      // (a credential has a digit or a symbol: "Basic authentication failed" is left alone)
      .replace(
        /\b(Basic|Bearer|Digest)(\s+)([A-Za-z0-9+/=._~-]{8,})/gi,
        (m, scheme: string, sp: string, cred: string) => (/[0-9+/=._~-]/.test(cred) ? `${scheme}${sp}${REDACTED}` : m),
      )
      .replace(/\b(https?:\/\/)[^\s/@:"'<>]+:[^\s/@"'<>]+@/gi, `$1${REDACTED}@`)
      // Fruxon tokens.
      .replace(/\bfx_([a-z]{2,5})_[A-Za-z0-9._~-]+/g, `fx_$1_${REDACTED}`)
      // ngrok authtokens: two long alphanumeric runs joined by an underscore.
      .replace(/\b[0-9A-Za-z]{20,}_[0-9A-Za-z]{16,}\b/g, REDACTED)
      // A 32-hex value standing alone (an Auth Token's shape; SIDs carry their two-letter prefix and are kept).
      .replace(/(?<![A-Za-z0-9])[0-9a-f]{32}(?![A-Za-z0-9])/g, REDACTED)
      // Secret-named fields: query strings and forms (name=value), JSON ("name": "value"), headers (name: value).
      .replace(
        /([?&;\s"']|^)([A-Za-z_-]*?(?:token|secret|password|passwd|api_?key|signature|authorization)[A-Za-z_-]*=)([^&\s"'#]+)/gim,
        // (a placeholder such as `…` or `$VAR` is no secret: only a value with a run of letters or digits is)
        (m, pre: string, name: string, value: string) =>
          /^\$|^\[/.test(value) || !/[A-Za-z0-9]{4}/.test(value) ? m : `${pre}${name}${REDACTED}`,
      )
      .replace(
        /("[A-Za-z_-]*?(?:token|secret|password|passwd|api_?key|apiKeySecret|authorization|cookie|webhook_?url|webhookUrl|webhook_?key)[A-Za-z_-]*"\s*:\s*)"(?:[^"\\]|\\.)*"/gi,
        `$1"${REDACTED}"`,
      )
      .replace(
        /^(\s*(?:authorization|proxy-authorization|cookie|set-cookie|x-twilio-signature)\s*:\s*)(.+)$/gim,
        (_m, name: string, value: string) => name + headerMask(value),
      )
      // URL path segments that look like keys (a Fruxon webhook key): cut to four characters.
      .replace(/\bhttps?:\/\/[^\s"'<>]+/gi, (url) => maskUrlKeys(url))
      // The same in a form body or a query value, URL-encoded.
      .replace(/\bhttps?%3A%2F%2F[^\s"'<>&]+/gi, (encoded) => {
        try {
          return encodeURIComponent(maskUrlKeys(decodeURIComponent(encoded)));
        } catch {
          return encoded;
        }
      })
  );
}

/** Every path segment of `url` that looks like a key cut to its first four characters; the rest as is. */
function maskUrlKeys(url: string): string {
  const q = url.search(/[?#]/);
  const head = q === -1 ? url : url.slice(0, q);
  const tail = q === -1 ? '' : url.slice(q);
  const m = /^(https?:\/\/[^/]*)(\/.*)?$/i.exec(head);
  if (!m?.[2]) return url;
  const path = m[2]
    .split('/')
    .map((seg) => {
      let decoded = seg;
      try {
        decoded = decodeURIComponent(seg);
      } catch {
        // kept as written
      }
      const bare = decoded.replace(/\.(json|xml|csv)$/i, '');
      return looksLikeKey(bare) && !decoded.includes(REDACTED) ? `${decoded.slice(0, 4)}…` : seg;
    })
    .join('/');
  return m[1] + path + tail;
}
