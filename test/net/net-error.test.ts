import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { FruxonClient } from '../../src/fruxon/client.js';
import type { TriggerEnvelope } from '../../src/listener/payload.js';
import { forwardEvent } from '../../src/listener/session.js';
import { fetchFailure } from '../../src/net-error.js';

/** One parser of fetch failures: the forwarder and the Fruxon client keep their own words around it. */
describe('fetch failures (net-error.ts)', () => {
  let closedUrl: string;
  let silent: Server;
  let silentUrl: string;
  const envelope = {
    trigger: 'twilio.message.received',
    config: 'c',
    event_id: 'e1',
    received_at: '',
    payload: {},
  } as unknown as TriggerEnvelope;

  before(async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise<void>((r) => probe.close(() => r()));
    silent = createServer(() => undefined); // takes the request, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  after(async () => {
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  test("a refused connection: its code, in each caller's sentence", async () => {
    const f = await fetch(`${closedUrl}/x`).then(
      () => null,
      (err: unknown) => fetchFailure(err),
    );
    assert.deepEqual(f, { timedOut: false, cause: 'ECONNREFUSED' });
    const fwd = await forwardEvent(`${closedUrl}/hook`, envelope);
    assert.equal(fwd.status, null);
    assert.equal(fwd.error, 'ECONNREFUSED');
    const client = new FruxonClient({ apiUrl: closedUrl, tenant: 'acme', token: 'fx_secret' });
    await assert.rejects(client.request('GET', '/v1/x', 'read config c1'), (err: Error) => {
      assert.equal(err.message, `could not reach Fruxon at ${closedUrl} to read config c1 (ECONNREFUSED)`);
      return true;
    });
  });

  test('a timeout: the forwarder says how long it waited; the Fruxon client names the error', async () => {
    const fwd = await forwardEvent(`${silentUrl}/hook`, envelope, 200);
    assert.equal(fwd.error, 'no answer within 0.2 s');
    const client = new FruxonClient({ apiUrl: silentUrl, tenant: 'acme', token: 'fx_secret', timeoutMs: 200 });
    await assert.rejects(client.request('GET', '/v1/x', 'read config c1'), (err: Error) => {
      assert.equal(err.message, `could not reach Fruxon at ${silentUrl} to read config c1 (TimeoutError)`);
      return true;
    });
  });

  test('cause shapes: a code, the first code of an AggregateError, a message, none', () => {
    assert.deepEqual(
      fetchFailure(
        Object.assign(new TypeError('fetch failed'), {
          cause: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND x' },
        }),
      ),
      { timedOut: false, cause: 'ENOTFOUND' },
    );
    assert.equal(
      fetchFailure(
        Object.assign(new TypeError('fetch failed'), {
          cause: new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })], ''),
        }),
      ).cause,
      'ECONNREFUSED',
    );
    assert.equal(
      fetchFailure(Object.assign(new TypeError('fetch failed'), { cause: new Error('bad port') })).cause,
      'bad port',
    );
    assert.deepEqual(fetchFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), {
      timedOut: true,
      cause: null,
    });
    assert.deepEqual(fetchFailure(null), { timedOut: false, cause: null });
  });
});
