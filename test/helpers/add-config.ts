/**
 * The account a config is for: the emulator (startEmulator) or the Twilio double (startTwilioDouble), or just an
 * Account SID (no --api-url: the config talks to api.twilio.com, for tests that never reach it).
 */
export interface AccountUnderTest {
  accountSid: string;
  url?: string;
}

/**
 * The argv of `add-config` for a config named `name` that sends from `from` on `account` (its --account-sid and,
 * when it has a URL, --api-url). Where its Auth Token comes from: 'stdin' (--auth-token-stdin: the run's input gives it), 'env'
 * (--token-from-env: TWILIO_AUTH_TOKEN in the run's environment) or 'default' (neither flag). `flags` follow,
 * e.g. '--no-verify', '--json'. Only the arguments: the test runs them (child process or in-process, and with
 * which keychain) and asserts on the result itself.
 */
export function addConfigArgs(
  name: string,
  from: string,
  account: AccountUnderTest,
  token: 'stdin' | 'env' | 'default',
  ...flags: string[]
): string[] {
  const tokenFlag = token === 'stdin' ? ['--auth-token-stdin'] : token === 'env' ? ['--token-from-env'] : [];
  return [
    'add-config',
    '--name',
    name,
    '--from',
    from,
    '--account-sid',
    account.accountSid,
    ...tokenFlag,
    ...(account.url === undefined ? [] : ['--api-url', account.url]),
    ...flags,
  ];
}
