import { apiErrors } from './errors.js';
import { iso8601 } from './ids.js';
import { metaPage } from './resources.js';
import type { RouteContext, RouteDefinition } from './route-kit.js';
import type { EmulatorContent } from './types.js';

/**
 * Content API v1 (twilio_content_v1.json), the reads a sender of templates needs: the account's templates and
 * their WhatsApp approval. Templates come from the topology file (`content: [...]`); there is no approval
 * workflow, so no create, delete or approval request.
 */

/** Twilio's origin for the Content API, as it writes it in `url` fields. */
export const CONTENT_ORIGIN = 'https://content.twilio.com';

export const contentRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/v1/Content',
    handle: ({ core, path, query }) => ({
      status: 200,
      body: metaPage(
        { path, query },
        'contents',
        templates(core.state.contents),
        (c) => contentJson(core.state.account.sid, c),
        CONTENT_ORIGIN,
      ),
    }),
  },
  {
    method: 'GET',
    path: '/v1/Content/{Sid}',
    handle: (ctx) => ({ status: 200, body: contentJson(ctx.core.state.account.sid, findContent(ctx)) }),
  },
  {
    method: 'GET',
    path: '/v1/ContentAndApprovals',
    handle: ({ core, path, query }) => ({
      status: 200,
      body: metaPage(
        { path, query },
        'contents',
        templates(core.state.contents),
        (c) => contentAndApprovalsJson(core.state.account.sid, c),
        CONTENT_ORIGIN,
      ),
    }),
  },
];

function templates(contents: Map<string, EmulatorContent>): EmulatorContent[] {
  return [...contents.values()].sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime());
}

function findContent(ctx: RouteContext): EmulatorContent {
  const c = ctx.core.state.contents.get(ctx.params.Sid!);
  if (!c) throw apiErrors.notFound(ctx.path);
  return c;
}

function common(accountSid: string, c: EmulatorContent): Record<string, unknown> {
  return {
    date_created: iso8601(c.dateCreated),
    date_updated: iso8601(c.dateUpdated),
    sid: c.sid,
    account_sid: accountSid,
    friendly_name: c.friendlyName,
    language: c.language,
    variables: { ...c.variables },
    types: structuredClone(c.types),
  };
}

export function contentJson(accountSid: string, c: EmulatorContent): Record<string, unknown> {
  const url = `${CONTENT_ORIGIN}/v1/Content/${c.sid}`;
  return {
    ...common(accountSid, c),
    url,
    links: { approval_create: `${url}/ApprovalRequests/whatsapp`, approval_fetch: `${url}/ApprovalRequests` },
  };
}

/** The spec leaves `approval_requests` an open object; these are the keys of its WhatsApp approval (approval_create). */
export function contentAndApprovalsJson(accountSid: string, c: EmulatorContent): Record<string, unknown> {
  return {
    ...common(accountSid, c),
    approval_requests: {
      name: c.whatsappName,
      category: c.whatsappCategory,
      content_type: Object.keys(c.types)[0] ?? 'twilio/text',
      status: c.whatsappStatus,
      rejection_reason: c.whatsappStatus === 'rejected' ? 'Rejected in the emulator topology' : '',
      allow_category_change: true,
    },
  };
}
