import type { TwilioClient } from './client.js';
import { type CallContext, messageCallError } from './messages.js';

/** A Content API template as this tool shows it (`templates list`): its text and its WhatsApp approval. */
export interface Template {
  sid: string;
  friendlyName: string;
  language: string;
  /** The `twilio/text` body (or the first type's `body`), with its `{{1}}`-style variables; null when it has none. */
  body: string | null;
  /** Default values of the variables. */
  variables: Record<string, string>;
  /** WhatsApp approval: approved, pending, rejected, unsubmitted, …; null when Twilio gives none. */
  whatsappStatus: string | null;
  whatsappCategory: string | null;
  dateCreated: Date | null;
}

/** The account's templates with their WhatsApp approval (content v1 `/v1/ContentAndApprovals`), oldest first. */
export async function listTemplates(client: TwilioClient, ctx: CallContext = {}): Promise<Template[]> {
  try {
    const items = await client.content.v1.contentAndApprovals.list({ pageSize: 100 });
    return items.map((c) => {
      const types = (c.types ?? {}) as Record<string, { body?: unknown } | undefined>;
      const text = types['twilio/text']?.body ?? Object.values(types).find((t) => typeof t?.body === 'string')?.body;
      const approval = (c.approvalRequests ?? {}) as { status?: unknown; category?: unknown };
      return {
        sid: c.sid,
        friendlyName: c.friendlyName ?? '',
        language: c.language ?? '',
        body: typeof text === 'string' ? text : null,
        variables: Object.fromEntries(Object.entries(c.variables ?? {}).map(([k, v]) => [k, String(v)])),
        whatsappStatus: typeof approval.status === 'string' ? approval.status : null,
        whatsappCategory: typeof approval.category === 'string' ? approval.category : null,
        dateCreated: c.dateCreated instanceof Date && !Number.isNaN(c.dateCreated.getTime()) ? c.dateCreated : null,
      };
    });
  } catch (err) {
    throw messageCallError(err, 'list the Content API templates', ctx);
  }
}
