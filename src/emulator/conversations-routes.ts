import { apiErrors } from './errors.js';
import { iso8601 } from './ids.js';
import { metaPage } from './resources.js';
import { ok, type RouteDefinition } from './route-kit.js';
import type { EmulatorAddressConfiguration } from './types.js';

/** The conversations API's origin as Twilio writes it in `url` fields. */
const CONVERSATIONS_ORIGIN = 'https://conversations.twilio.com';

/** Conversations v1 address configurations (read only: the topology file makes them), on the emulator's one origin. */
export const conversationsRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/v1/Configuration/Addresses',
    handle: ({ core, path, query }) => {
      const type = query.get('Type');
      const all = [...core.state.addressConfigurations.values()]
        .filter((c) => !type || c.type === type)
        .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime());
      return ok(
        metaPage({ path, query, ...(type && { filters: [['Type', type]] }) }, 'address_configurations', all, (c) =>
          addressConfigurationJson(core.state.account.sid, c),
        ),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/Configuration/Addresses/{Sid}',
    handle: ({ core, params, path }) => {
      const c = core.state.addressConfigurations.get(params.Sid!);
      if (!c) throw apiErrors.notFound(path);
      return ok(addressConfigurationJson(core.state.account.sid, c));
    },
  },
];

/** conversations.v1.configuration_address, field for field. */
export function addressConfigurationJson(accountSid: string, c: EmulatorAddressConfiguration): Record<string, unknown> {
  const a = c.autoCreation;
  return {
    sid: c.sid,
    account_sid: accountSid,
    type: c.type,
    address: c.address,
    friendly_name: c.friendlyName || null,
    auto_creation: {
      enabled: a.enabled,
      type: a.type,
      conversation_service_sid: a.conversationServiceSid,
      webhook_url: a.webhookUrl,
      webhook_method: a.webhookMethod,
      webhook_filters: a.webhookFilters,
      studio_flow_sid: a.studioFlowSid,
      studio_retry_count: a.studioRetryCount,
    },
    date_created: iso8601(c.dateCreated),
    date_updated: iso8601(c.dateUpdated),
    url: `${CONVERSATIONS_ORIGIN}/v1/Configuration/Addresses/${c.sid}`,
    address_country: c.addressCountry,
  };
}
