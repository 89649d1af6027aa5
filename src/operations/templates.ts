import { connectConfig } from '../config/connect.js';
import { effectiveApiUrl } from '../config/resolve.js';
import type { Config } from '../store/index.js';
import { listTemplates, type Template } from '../twilio/templates.js';
import type { ConfigDeps } from './deps.js';

/** The core of `templates list`: a config's account's Content API templates with their WhatsApp approval. */
export async function listConfigTemplates(
  deps: ConfigDeps,
  input: { config?: string },
): Promise<{ config: Config; templates: Template[] }> {
  const { config, client } = await connectConfig(deps.store, input.config, deps.env, deps.secrets, deps.twilio);
  const templates = await listTemplates(client, {
    apiUrl: effectiveApiUrl(config, deps.env),
    accountSid: config.accountSid,
  });
  return { config, templates };
}
