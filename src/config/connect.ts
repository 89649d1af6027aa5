import type { SecretStore } from '../secrets/index.js';
import type { Config, Store } from '../store/index.js';
import type { TwilioClient, TwilioCredentials, TwilioFactory } from '../twilio/client.js';
import { loadSecret, resolveConfig, twilioCredentials } from './resolve.js';

export type { TwilioFactory };

/** A config (named, else the default) with a Twilio client for it: what every command that calls Twilio starts with. */
export async function connectConfig(
  store: Store,
  name: string | undefined,
  env: NodeJS.ProcessEnv,
  secrets: () => SecretStore,
  twilio: TwilioFactory,
): Promise<{ config: Config; creds: TwilioCredentials; client: TwilioClient }> {
  const config = resolveConfig(store, name);
  const creds = twilioCredentials(config, loadSecret(config, env, secrets), env);
  return { config, creds, client: await twilio(creds) };
}
