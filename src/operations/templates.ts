import { connectConfig } from '../config/connect.js';
import type { Config } from '../store/index.js';
import { callSite } from '../twilio/client.js';
import { listTemplates, type Template } from '../twilio/templates.js';
import type { ConfigDeps } from './deps.js';

/** The core of `templates list`: a config's account's Content API templates with their WhatsApp approval. */
export async function listConfigTemplates(
  deps: ConfigDeps,
  input: { config?: string },
): Promise<{ config: Config; templates: Template[] }> {
  const { config, creds, client } = await connectConfig(deps.store, input.config, deps.env, deps.secrets, deps.twilio);
  const templates = await listTemplates(client, callSite(creds));
  return { config, templates };
}
