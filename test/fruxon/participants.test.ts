import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CliError } from '../../src/errors.js';
import { approveAccessRequest } from '../../src/fruxon/access-requests.js';
import { FruxonClient } from '../../src/fruxon/client.js';
import { listAccessRequests, listParticipants } from '../../src/fruxon/participants-api.js';
import { type SenderHint, senderHints } from '../../src/fruxon/sender-hint.js';
import type { Store } from '../../src/store/index.js';

/** A client whose fetch answers from a function: no socket. */
function fakeClient(answer: (url: string) => { status: number; body: unknown }) {
  const calls: string[] = [];
  const client = new FruxonClient({
    apiUrl: 'http://fruxon.test',
    tenant: 'acme',
    token: 'fx_pat_secret123',
    fetch: (async (url: string, init: RequestInit) => {
      calls.push(`${init.method} ${new URL(url).pathname}${new URL(url).search}`);
      const a = answer(url);
      return new Response(JSON.stringify(a.body), {
        status: a.status,
        headers: { 'content-type': 'application/json' },
      });
    }) as typeof fetch,
  });
  return { client, calls };
}

const FX = 'fx-config-1';
const person = (id: string, address: string, config = FX) => ({
  id,
  kind: 'PERSON',
  displayName: id,
  agentIds: [],
  channels: [{ integrationConfigId: config, address, priority: 0, disabled: false }],
});

describe('participant and access-request answers are read strictly', () => {
  test('a participant without a channels list stops the read (push could not tell it from a new one)', async () => {
    const { client } = fakeClient(() => ({
      status: 200,
      body: [person('p1', '+14155550101'), { id: 'p2', kind: 'PERSON', displayName: 'x' }],
    }));
    await assert.rejects(listParticipants(client), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.equal(err.reason, 'fruxon_unexpected');
      assert.match(err.message, /participant p2 has no "channels" list/);
      return true;
    });
  });

  test('a page {items} is read like the documented array; anything else is refused; whatsapp: prefixes are dropped', async () => {
    const page = fakeClient(() => ({
      status: 200,
      body: { items: [person('p1', 'whatsapp:+14155550101')], nextPageToken: null },
    }));
    assert.deepEqual((await listParticipants(page.client))[0]!.channels[0]!.address, '+14155550101');
    const odd = fakeClient(() => ({ status: 200, body: { participants: [] } }));
    await assert.rejects(
      listParticipants(odd.client),
      /neither a list nor \{items: \[\.\.\.\]\} \(got an object with keys participants\)/,
    );
  });

  test('an access request without its config or status is refused; Status goes in the query', async () => {
    const { client, calls } = fakeClient(() => ({
      status: 200,
      body: [{ id: 'r1', address: '+14155550101', status: 'PENDING' }],
    }));
    await assert.rejects(
      listAccessRequests(client, { status: 'PENDING' }),
      /access request r1 has no integrationConfigId/,
    );
    assert.deepEqual(calls, ['GET /v1/tenants/acme/participantAccessRequests?Status=PENDING']);
  });
});

describe('approve racing another approver', () => {
  test('pending when read, 409 on :approve, approved when read again: the one-line "already approved" error', async () => {
    let gets = 0;
    const request = (status: string) => ({
      id: 'r1',
      integrationConfigId: FX,
      address: '+14155550101',
      agentId: 'a1',
      status,
      processedBy: status === 'PENDING' ? null : 'ops@acme.test',
    });
    const { client, calls } = fakeClient((url) =>
      url.endsWith(':approve')
        ? { status: 409, body: { title: 'Conflict', status: 409, detail: 'already processed' } }
        : { status: 200, body: request(gets++ === 0 ? 'PENDING' : 'APPROVED') },
    );
    const store = { configs: { list: () => [] }, participants: { findByPhone: () => undefined } } as unknown as Store;
    await assert.rejects(approveAccessRequest({ store, client, id: 'r1', name: 'Dana' }), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.equal(err.reason, 'already_processed');
      assert.equal(err.hint, undefined, 'one line');
      assert.equal(err.message, 'access request r1 (+14155550101) was already approved by ops@acme.test');
      return true;
    });
    assert.deepEqual(calls, [
      'GET /v1/tenants/acme/participantAccessRequests/r1',
      'POST /v1/tenants/acme/participantAccessRequests/r1:approve',
      'GET /v1/tenants/acme/participantAccessRequests/r1',
    ]);
  });
});

describe('senderHints: the listen hint, off the hot path', () => {
  const setup = (participants: unknown[], requests: unknown[] = []) => {
    const f = fakeClient((url) => ({
      status: 200,
      body: url.includes('/participantAccessRequests') ? requests : participants,
    }));
    let connects = 0;
    const hints: SenderHint[] = [];
    const errors: string[] = [];
    const h = senderHints({
      connect: () => {
        connects++;
        return f.client;
      },
      fruxonConfigId: FX,
      onHint: (x) => hints.push(x),
      onError: (m) => errors.push(m),
    });
    return { h, hints, errors, calls: f.calls, connects: () => connects };
  };

  test('observe returns at once: no connect and no request in the same turn; a number is looked up once', async () => {
    const s = setup(
      [person('p1', '+14155550101'), person('p9', '+14155550109', 'another-config')],
      [{ id: 'req-9', integrationConfigId: FX, address: '+14155550109', status: 'PENDING' }],
    );
    for (let i = 0; i < 1000; i++) s.h.observe('+14155550109');
    s.h.observe('+14155550101');
    s.h.observe(null);
    assert.equal(s.connects(), 0, 'nothing happens before the replies have gone');
    assert.equal(s.calls.length, 0);
    await s.h.idle();
    assert.deepEqual(
      s.hints,
      [{ number: '+14155550109', pendingRequestId: 'req-9' }],
      'a participant of another config is no participant of this one',
    );
    assert.deepEqual(s.calls, [
      'GET /v1/tenants/acme/participants',
      'GET /v1/tenants/acme/participantAccessRequests?Status=PENDING',
    ]);
    s.h.observe('+14155550109');
    s.h.observe('+14155550101');
    await s.h.idle();
    assert.equal(s.calls.length, 2, 'seen numbers cost nothing');
    s.h.observe('+14155550110');
    await s.h.idle();
    assert.deepEqual(s.hints[1], { number: '+14155550110', pendingRequestId: null });
    assert.equal(s.calls.filter((c) => c.endsWith('/participants')).length, 1, 'the participants list is cached');
    assert.equal(s.connects(), 1);
  });

  test('a failed lookup is reported once and turns the hints off; close stops them', async () => {
    let n = 0;
    const errors: string[] = [];
    const h = senderHints({
      connect: () => {
        n++;
        throw new CliError('no Fruxon token for tenant "acme"');
      },
      fruxonConfigId: FX,
      onHint: () => assert.fail('no hint'),
      onError: (m) => errors.push(m),
    });
    h.observe('+14155550101');
    h.observe('+14155550102');
    await h.idle();
    h.observe('+14155550103');
    await h.idle();
    assert.deepEqual(errors, ['no Fruxon token for tenant "acme"']);
    assert.equal(n, 1);

    const s = setup([]);
    s.h.observe('+14155550101');
    s.h.close();
    await s.h.idle();
    assert.deepEqual(s.hints, []);
  });
});
