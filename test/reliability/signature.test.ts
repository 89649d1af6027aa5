import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks.js';
import { isValidTwilioSignature, twilioSignature } from '../../src/listener/signature.js';
import { CliChildProcess, runCliChildProcess, stopAllCliRuns, tempHome } from '../helpers/cli.js';

// Twilio's published test vector (twilio-node's webhooks spec and the security docs).
const TOKEN = '12345';
const URL_ = 'https://mycompany.com/myapp.php?foo=1&bar=2';
// (Caller and From are +14158675309 in the published vector, as in twilio-php/-csharp/-python's tests.)
const PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const EXPECTED = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';

describe('X-Twilio-Signature: the published test vectors', () => {
  test("the twilio package's own function and ours give the published signature", () => {
    assert.equal(getExpectedTwilioSignature(TOKEN, URL_, PARAMS), EXPECTED);
    assert.equal(twilioSignature(TOKEN, URL_, PARAMS), EXPECTED);
    assert.equal(isValidTwilioSignature(TOKEN, EXPECTED, URL_, PARAMS), true);
  });

  test('port variants: the URL with :443 validates with the signature of the URL without it, and back', () => {
    const withPort = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
    assert.equal(isValidTwilioSignature(TOKEN, EXPECTED, withPort, PARAMS), true);
    const signedWithPort = getExpectedTwilioSignature(TOKEN, withPort, PARAMS);
    assert.notEqual(signedWithPort, EXPECTED);
    assert.equal(isValidTwilioSignature(TOKEN, signedWithPort, URL_, PARAMS), true);
    assert.equal(isValidTwilioSignature(TOKEN, signedWithPort, withPort, PARAMS), true);
    // http and :80 likewise
    const http = 'http://mycompany.com/myapp.php?foo=1&bar=2';
    assert.equal(
      isValidTwilioSignature(
        TOKEN,
        getExpectedTwilioSignature(TOKEN, http, PARAMS),
        'http://mycompany.com:80/myapp.php?foo=1&bar=2',
        PARAMS,
      ),
      true,
    );
    // The twilio package's validator also tries the URL with its explicit port removed, whatever the port:
    // the signature still has to be the one for that exact host, path and query, so this forges nothing.
    assert.equal(
      isValidTwilioSignature(TOKEN, EXPECTED, 'https://mycompany.com:8443/myapp.php?foo=1&bar=2', PARAMS),
      true,
    );
    assert.equal(
      isValidTwilioSignature(TOKEN, EXPECTED, 'https://mycompany.org:443/myapp.php?foo=1&bar=2', PARAMS),
      false,
    );
    assert.equal(isValidTwilioSignature(TOKEN, EXPECTED, 'https://mycompany.com:443/myapp.php?foo=1', PARAMS), false);
  });

  test("ours (URL as received tried first) accepts exactly what the twilio package's validateRequest accepts", () => {
    const urls = [
      URL_,
      'https://mycompany.com:443/myapp.php?foo=1&bar=2',
      'https://mycompany.com:8443/myapp.php?foo=1&bar=2',
      'http://127.0.0.1:7337/webhooks/x',
      'http://127.0.0.1/webhooks/x',
      'https://u@mycompany.com/a b?x=ü&y',
      'https://[::1]:8080/w?q=1',
      'not a url',
    ];
    const forms = [PARAMS, { ...PARAMS, Digits: '1235' }, { A: ['2', '1', '2'], B: 'é' }];
    let accepted = 0;
    for (const url of urls) {
      for (const form of forms) {
        const sigs = [
          EXPECTED,
          'x',
          ...urls.flatMap((u) => [
            getExpectedTwilioSignature(TOKEN, u, form),
            getExpectedTwilioSignature('other', u, form),
          ]),
        ];
        for (const sig of sigs) {
          let theirs: boolean;
          try {
            theirs = validateRequest(TOKEN, sig, url, form);
          } catch {
            theirs = false; // `new URL` throws on a URL it cannot parse
          }
          let ours: boolean;
          try {
            ours = isValidTwilioSignature(TOKEN, sig, url, form);
          } catch {
            ours = false;
          }
          assert.equal(ours, theirs, `${url} ${JSON.stringify(form)} ${sig}`);
          if (ours) accepted++;
        }
      }
    }
    assert.ok(accepted > 20, `some combinations are accepted (${accepted})`);
  });

  test('tampered body, URL and token are each refused; so are a missing and an empty signature', () => {
    assert.equal(isValidTwilioSignature(TOKEN, EXPECTED, URL_, { ...PARAMS, Digits: '1235' }), false);
    assert.equal(isValidTwilioSignature(TOKEN, EXPECTED, URL_, { ...PARAMS, Extra: 'x' }), false);
    const { Digits: _d, ...fewer } = PARAMS;
    assert.equal(isValidTwilioSignature(TOKEN, EXPECTED, URL_, fewer), false);
    assert.equal(isValidTwilioSignature(TOKEN, EXPECTED, 'https://mycompany.com/myapp.php?foo=1&bar=3', PARAMS), false);
    assert.equal(isValidTwilioSignature(TOKEN, EXPECTED, 'https://evil.example/myapp.php?foo=1&bar=2', PARAMS), false);
    assert.equal(isValidTwilioSignature('12346', EXPECTED, URL_, PARAMS), false);
    assert.equal(isValidTwilioSignature(TOKEN, undefined, URL_, PARAMS), false);
    assert.equal(isValidTwilioSignature(TOKEN, '', URL_, PARAMS), false);
    assert.equal(isValidTwilioSignature(TOKEN, EXPECTED.slice(0, -2), URL_, PARAMS), false);
  });
});

describe('X-Twilio-Signature end to end: listen with the vector token behind --public-url https://mycompany.com', () => {
  const h = tempHome();
  const env = { ...h.env, TWILIO_AUTH_TOKEN: TOKEN };
  let p: CliChildProcess;
  let localUrl: string;
  let path: string;
  before(async () => {
    const r = await runCliChildProcess(
      [
        'add-config',
        '--name',
        'vec',
        '--from',
        '+18005551212',
        '--account-sid',
        'AC' + '1'.repeat(32),
        '--token-from-env',
        '--no-verify',
        '--json',
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    p = new CliChildProcess(
      ['listen', '--json', '--no-register', '--port', '0', '--public-url', 'https://mycompany.com'],
      {
        env,
      },
    );
    const m = await p.waitFor(/Ready! Listening for messages to \S+ at (\S+)/);
    path = new URL(m[1]!).pathname;
    const local = await p.waitFor(/Local listener: (\S+)/);
    localUrl = local[1]!;
  });
  after(async () => {
    await stopAllCliRuns();
    h.cleanup();
  });

  const fields = { ...PARAMS, MessageSid: 'SM' + 'c'.repeat(32), Body: 'vector' };
  async function post(query: string, signature: string | null, form: Record<string, string> = fields) {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (signature !== null) headers['x-twilio-signature'] = signature;
    const res = await fetch(localUrl + query, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
    await res.text();
    return res.status;
  }

  test('refused: tampered body, URL, token; accepted: the public URL, with and without :443', async () => {
    const q = '?foo=1&bar=2';
    const pub = `https://mycompany.com${path}${q}`;
    assert.equal(await post(q, getExpectedTwilioSignature(TOKEN, pub, fields), { ...fields, Body: 'tampered' }), 403);
    assert.equal(
      await post(q, getExpectedTwilioSignature(TOKEN, `https://mycompany.com${path}?foo=1&bar=3`, fields)),
      403,
    );
    assert.equal(await post(q, getExpectedTwilioSignature('12346', pub, fields)), 403);
    assert.equal(
      await post(q, getExpectedTwilioSignature(TOKEN, `http://127.0.0.1${path}${q}`, fields)),
      403,
      'the local URL is not what Twilio signs',
    );
    assert.equal(await post(q, null), 403);
    assert.equal(p.stdout, '', 'no event printed for a refused request');

    assert.equal(await post(q, getExpectedTwilioSignature(TOKEN, pub, fields)), 200);
    const second = { ...fields, MessageSid: 'SM' + 'd'.repeat(32) };
    assert.equal(
      await post(q, getExpectedTwilioSignature(TOKEN, `https://mycompany.com:443${path}${q}`, second), second),
      200,
    );
    await p.waitFor(/SMd{32}/, { stream: 'stdout' });
    const lines = p.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.payload.message_sid),
      ['SM' + 'c'.repeat(32), 'SM' + 'd'.repeat(32)],
    );
    assert.equal((p.stderr.match(/refused (invalid|missing)_signature/g) ?? []).length, 5);
  });
});
