import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CliError } from '../../src/errors.js';
import { canWriteIntegrations, getConfig, listConfigs, twilioMapping } from '../../src/fruxon/api.js';
import { FruxonClient } from '../../src/fruxon/client.js';
import { TWILIO_METADATA } from '../helpers/fruxon-double.js';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** A client whose fetch answers from a function: no socket. */
function fakeClient(
  answer: (url: string, init: RequestInit) => { status: number; body: unknown; type?: string },
  token = 'fx_pat_secret123',
) {
  const calls: string[] = [];
  const client = new FruxonClient({
    apiUrl: 'http://fruxon.test/v1/',
    tenant: 'acme',
    token,
    fetch: (async (url: string, init: RequestInit) => {
      calls.push(`${init.method} ${url}`);
      const a = answer(url, init);
      return new Response(a.body === undefined ? null : typeof a.body === 'string' ? a.body : JSON.stringify(a.body), {
        status: a.status,
        headers: { 'content-type': a.type ?? 'application/json' },
      });
    }) as typeof fetch,
  });
  return { client, calls };
}

describe('Twilio integration metadata, read at run time', () => {
  test('the documented shape: From number parameter and the Account SID + Auth Token method with its parameters', () => {
    assert.deepEqual(twilioMapping(TWILIO_METADATA), {
      integrationId: 'twilio',
      fromParameter: 'fromNumber',
      authMetadataId: 'twilio-account-sid-auth-token',
      authLevel: 'APPLICATION',
      sidParameter: 'username',
      tokenParameter: 'password',
      authDisplayName: 'Account SID + Auth Token',
    });
  });

  test('no From parameter, or several: a clear error naming what was found', () => {
    const none = clone(TWILIO_METADATA);
    none.configMetadata.parametersMetadata = none.configMetadata.parametersMetadata.filter(
      (p) => p.name !== 'fromNumber',
    );
    assert.throws(
      () => twilioMapping(none),
      (e: CliError) =>
        /no String parameter for the From number \(parameters: messagingServiceSid \("Messaging Service SID"\)\)/.test(
          e.message,
        ),
    );

    const two = clone(TWILIO_METADATA);
    two.configMetadata.parametersMetadata.push({
      ...two.configMetadata.parametersMetadata[0]!,
      name: 'fromPhone',
      displayName: 'From phone (WhatsApp)',
    });
    assert.throws(
      () => twilioMapping(two),
      /several parameters that could be the From number: fromNumber \("From Number"\), fromPhone \("From phone \(WhatsApp\)"\)/,
    );
    // One that says "from number" wins over a mere "from".
    const narrowed = clone(TWILIO_METADATA);
    narrowed.configMetadata.parametersMetadata.push({
      ...narrowed.configMetadata.parametersMetadata[0]!,
      name: 'fallbackFrom',
      displayName: 'Fallback from',
    });
    assert.equal(twilioMapping(narrowed).fromParameter, 'fromNumber');

    const numberType = clone(TWILIO_METADATA);
    numberType.configMetadata.parametersMetadata[0]!.type = 'Number';
    assert.throws(() => twilioMapping(numberType), /no String parameter for the From number/);
  });

  test('auth method absent, or its parameters not named: refused, never guessed', () => {
    const noAuth = clone(TWILIO_METADATA);
    noAuth.configMetadata.authMetadata[0]!.id = 'oauth2';
    noAuth.configMetadata.authMetadata[0]!.displayName = 'OAuth';
    noAuth.configMetadata.authMetadata[0]!.type = 'OAUTH2';
    assert.throws(
      () => twilioMapping(noAuth),
      /offers no Account SID \+ Auth Token auth method \(auth methods: oauth2 \("OAuth"\)\)/,
    );

    const noParams = clone(TWILIO_METADATA);
    noParams.configMetadata.authMetadata[0]!.parametersMetadata = [];
    assert.throws(() => twilioMapping(noParams), /has no parameter for the Account SID \(parameters: none\)/);
    // …unless the per-auth-type settings name them.
    const m = twilioMapping(noParams, {
      BASIC: {
        parametersMetadata: [
          { name: 'user', displayName: 'Account SID' },
          { name: 'secret', displayName: 'Auth Token' },
        ],
      },
    });
    assert.equal(m.sidParameter, 'user');
    assert.equal(m.tokenParameter, 'secret');

    assert.throws(
      () => twilioMapping({ id: 'twilio' }),
      /Fruxon answered something unexpected from integrations\/twilio: no configMetadata/,
    );
    assert.throws(() => twilioMapping([]), /not a JSON object \(got a list\)/);
  });

  test('scopes that allow writing configs', () => {
    assert.equal(canWriteIntegrations(['integrations:write']), true);
    assert.equal(canWriteIntegrations(['*']), true);
    assert.equal(canWriteIntegrations(['Admin']), true);
    assert.equal(canWriteIntegrations(['integrations:read', 'agents:execute']), false);
    assert.equal(canWriteIntegrations([]), false);
  });
});

describe('REST client', () => {
  test('Bearer auth, /v1 paths under the tenant, problem bodies mapped to one line with title, status and detail, token scrubbed', async () => {
    const { client, calls } = fakeClient((_url, init) => {
      assert.equal((init.headers as Record<string, string>).authorization, 'Bearer fx_pat_secret123');
      return {
        status: 409,
        type: 'application/problem+json',
        body: {
          type: 'about:blank',
          title: 'Conflict',
          status: 409,
          detail: 'token fx_pat_secret123 is busy',
          instance: '/x',
        },
      };
    });
    await assert.rejects(getConfig(client, 'c1'), (e: Error) => {
      assert.equal(e.message, 'Fruxon refused to read config c1: Conflict (HTTP 409): token fx_… is busy');
      return true;
    });
    assert.deepEqual(calls, ['GET http://fruxon.test/v1/tenants/acme/integrations/twilio/configs/c1']);
  });

  test('a 404 config is null; a list is read as an array or as {items}, anything else refused', async () => {
    assert.equal(
      await getConfig(fakeClient(() => ({ status: 404, body: { title: 'Not Found', status: 404 } })).client, 'x'),
      null,
    );
    const item = { id: 'c1', displayName: 'A', parameters: {}, publishedRevisionId: null };
    assert.equal((await listConfigs(fakeClient(() => ({ status: 200, body: [item] })).client))[0]!.id, 'c1');
    let page = 0;
    const paged = fakeClient(() => ({
      status: 200,
      body:
        page++ === 0 ? { items: [item], nextPageToken: 'p2' } : { items: [{ ...item, id: 'c2' }], nextPageToken: null },
    }));
    assert.deepEqual(
      (await listConfigs(paged.client)).map((c) => c.id),
      ['c1', 'c2'],
    );
    assert.match(paged.calls[1]!, /PageToken\.Cursor=p2$/);
    await assert.rejects(
      listConfigs(fakeClient(() => ({ status: 200, body: { configs: [] } })).client),
      /neither a list nor \{items: \[\.\.\.\]\} \(got an object with keys configs\)/,
    );
    await assert.rejects(
      listConfigs(fakeClient(() => ({ status: 200, body: '<html>', type: 'text/html' })).client),
      /something that is not JSON \(HTTP 200, text\/html\)/,
    );
  });
});
