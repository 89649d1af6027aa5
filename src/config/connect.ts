import type { SecretStore } from '../secrets/index.js';
import type { Config, Store } from '../store/index.js';
import {
  createTwilioClient,
  type TwilioClient,
  type TwilioClientOptions,
  type TwilioCredentials,
} from '../twilio/client.js';
import { loadSecret, resolveConfig, twilioCredentials } from './resolve.js';

/** Opens a Twilio client for credentials: the command context's factory, or the twilio package itself. */
export type TwilioFactory = (creds: TwilioCredentials, opts?: TwilioClientOptions) => Promise<TwilioClient>;

/** What the config cores take: the store, the environment, the secret store and (optionally) a Twilio client factory. */
export interface ConfigDeps {
  store: Store;
  env: NodeJS.ProcessEnv;
  secrets: () => SecretStore;
  twilio?: TwilioFactory;
}

/** A config (named, else the default) with a Twilio client for it: what every command that calls Twilio starts with. */
export async function connectConfig(
  store: Store,
  name: string | undefined,
  env: NodeJS.ProcessEnv,
  secrets: () => SecretStore,
  twilio: TwilioFactory = createTwilioClient,
): Promise<{ config: Config; creds: TwilioCredentials; client: TwilioClient }> {
  const config = resolveConfig(store, name);
  const creds = twilioCredentials(config, loadSecret(config, env, secrets), env);
  return { config, creds, client: await twilio(creds) };
}
