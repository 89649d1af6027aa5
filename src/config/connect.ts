import type { SecretStore } from '../secrets/index.js';
import type { Config, Store } from '../store/index.js';
import { createTwilioClient, type TwilioClient, type TwilioCredentials } from '../twilio/client.js';
import { loadSecret, resolveConfig, twilioCredentials } from './resolve.js';

/** A config (named, else the default) with a Twilio client for it: what every command that calls Twilio starts with. */
export async function connectConfig(
  store: Store,
  name: string | undefined,
  env: NodeJS.ProcessEnv,
  secrets: () => SecretStore,
): Promise<{ config: Config; creds: TwilioCredentials; client: TwilioClient }> {
  const config = resolveConfig(store, name);
  const creds = twilioCredentials(config, loadSecret(config, env, secrets), env);
  return { config, creds, client: await createTwilioClient(creds) };
}
