import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { EmulatorLogEntry } from '../emulator/index.js';
import { usageError } from '../errors.js';
import { checkAccountSid, checkE164, checkHttpUrl, MAX_TIMER_MS, parseDuration, parsePort } from '../validate.js';
import type { CommandContext } from './context.js';

export const DEFAULT_EMULATOR_PORT = 7338;
/** Another default port for `emulator` (and where `add-config` looks for one on a terminal). */
export const EMULATOR_PORT_ENV = 'FRUXON_TWILIO_EMULATOR_PORT';

/** The emulator's default port: $FRUXON_TWILIO_EMULATOR_PORT, else 7338. */
export function emulatorPort(env: NodeJS.ProcessEnv): number {
  const v = env[EMULATOR_PORT_ENV];
  return v === undefined || v === '' ? DEFAULT_EMULATOR_PORT : parsePort(`$${EMULATOR_PORT_ENV}`, v);
}

interface Options {
  port?: string;
  host: string;
  accountSid?: string;
  authToken?: string;
  number?: string[];
  state?: string;
  topology?: string;
  sandboxUrl?: string;
  enforceMediaAuth?: boolean;
  listLag?: string;
  controlToken?: string | true;
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('emulator')
    .description('Run the local Twilio emulator: the REST API this tool uses, and signed inbound webhooks')
    .option('--port <port>', `port (default ${DEFAULT_EMULATOR_PORT}, or $${EMULATOR_PORT_ENV}; 0 = any free port)`)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--account-sid <sid>', 'the account SID it accepts (default: generated)')
    .option('--auth-token <token>', 'the auth token it accepts (default: generated)')
    .option(
      '--number <e164>',
      'a phone number the account owns (repeatable; default: one generated)',
      (v: string, acc: string[] | undefined) => [...(acc ?? []), v],
    )
    .option('--state <file>', 'keep credentials, numbers and messages in this SQLite file across restarts')
    .option(
      '--topology <file.json>',
      'start as a real account looks: Messaging Services, TwiML Apps, WhatsApp senders, the Sandbox (see README)',
    )
    .option('--sandbox-url <url>', "the WhatsApp Sandbox's (+14155238886) inbound URL, as set in the Twilio Console")
    .option(
      '--enforce-media-auth',
      'the account setting "Enforce HTTP Auth on Media URLs": media URLs answer 401 without Basic auth',
    )
    .option(
      '--list-lag <duration>',
      "delay a new message, status change or alert in the Messages and Alerts lists, as Twilio's lists lag (e.g. 1s)",
    )
    .option(
      '--control-token [token]',
      'the control API (/_emulator/) answers only Authorization: Bearer TOKEN (default: generated); for an emulator reachable beyond loopback',
    )
    .option('--json', 'print the connection details, then one JSON log entry per line, on stdout')
    .option('--quiet', 'print the connection details only, no request log')
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio emulator --number +15005550006
  $ fruxon-twilio emulator --json --port 0 > emulator.jsonl &   # CI: read the URL and credentials from the first line
  $ fruxon-twilio emulator --topology account.json              # numbers in a Messaging Service, a TwiML App, a sender
  $ curl -s -X POST http://127.0.0.1:${DEFAULT_EMULATOR_PORT}/_emulator/inbound -H 'content-type: application/json' -d '{"from":"+14155550100","to":"+15005550006","body":"hi"}'

Then point a config at it:
  $ printf %s "$TOKEN" | fruxon-twilio add-config --name emu --from +15005550006 --account-sid AC… --auth-token-stdin --api-url http://127.0.0.1:${DEFAULT_EMULATOR_PORT}

A message sent to one of the emulator's own numbers is delivered to that number's webhook, signed as Twilio signs it.
Recipients with scripted outcomes: +15005550001 (21211 invalid To), +15005550002 (21612 unroutable),
+15005550003 (21408 region not enabled), +15005550004 (21610 unsubscribed), +15005550009 (21614 not mobile),
+15005552608 (21608 trial, unverified), +15005553003 / +15005553005 (undelivered 30003 / 30005),
+15005553034 / +15005553032 (undelivered 30034 unregistered 10DLC / 30032 unverified toll-free),
+15005553008 (failed 30008), +15005556316 (WhatsApp 63016), +15005556315 (WhatsApp 63015 sandbox not joined).`,
    )
    .action((opts: Options) => run(ctx, opts));
}

async function run(ctx: CommandContext, opts: Options): Promise<void> {
  const out = ctx.output({ json: opts.json });
  const port = opts.port !== undefined ? parsePort('--port', opts.port) : emulatorPort(ctx.env);
  const accountSid = opts.accountSid !== undefined ? checkAccountSid('--account-sid', opts.accountSid) : undefined;
  const numbers = (opts.number ?? []).map((n) => checkE164('--number', n));
  if (opts.authToken !== undefined && !/^\S{8,}$/.test(opts.authToken))
    throw usageError('--auth-token must be at least 8 characters with no spaces');
  if (
    opts.state !== undefined &&
    (await import('node:fs')).statSync(opts.state, { throwIfNoEntry: false })?.isDirectory()
  ) {
    throw usageError(
      `--state needs a file (a SQLite file it creates or reopens), but ${JSON.stringify(opts.state)} is a directory`,
      'e.g. --state ./emulator.db',
    );
  }
  const listLagMs =
    opts.listLag !== undefined ? parseDuration('--list-lag', opts.listLag, { max: MAX_TIMER_MS }) : undefined;
  const sandboxUrl = opts.sandboxUrl !== undefined ? checkHttpUrl('--sandbox-url', opts.sandboxUrl) : undefined;
  if (typeof opts.controlToken === 'string' && !/^\S{8,}$/.test(opts.controlToken))
    throw usageError(
      '--control-token must be at least 8 characters with no spaces (or give none to have one generated)',
    );
  const controlToken =
    opts.controlToken === true
      ? (await import('node:crypto')).randomBytes(24).toString('base64url')
      : opts.controlToken;
  const { startEmulator, checkTopology, TopologyError } = await import('../emulator/index.js');
  let topology: ReturnType<typeof checkTopology> | undefined;
  if (opts.topology !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.topology, 'utf8');
    } catch (err) {
      throw usageError(
        `--topology: cannot read ${opts.topology} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    try {
      topology = checkTopology(JSON.parse(text));
    } catch (err) {
      if (err instanceof SyntaxError) throw usageError(`--topology ${opts.topology} is not valid JSON: ${err.message}`);
      if (err instanceof TopologyError) throw usageError(`--topology ${opts.topology}: ${err.message}`);
      throw err;
    }
  }
  const c = out.errColor;
  // Log entries that come before the connection details (the start itself) wait for them: with --json
  // the first line on stdout is always the details.
  let early: EmulatorLogEntry[] | null = [];
  const print = (entry: EmulatorLogEntry) => {
    if (opts.json) out.data(entry);
    else
      out.status(
        `${c.dim(entry.time.slice(11, 23))} ${entry.level === 'info' ? '' : entry.level === 'warn' ? c.yellow('warn ') : c.red('error ')}${entry.message}`,
      );
  };
  const emulator = await startEmulator({
    port,
    host: opts.host,
    accountSid,
    authToken: opts.authToken,
    numbers: numbers.length ? numbers : undefined,
    statePath: opts.state,
    topology,
    sandboxUrl,
    // Absent: the setting stays as the state file or the topology has it.
    enforceMediaAuth: opts.enforceMediaAuth ? true : undefined,
    listLagMs,
    controlToken,
    onLog: opts.quiet ? undefined : (entry) => (early ? early.push(entry) : print(entry)),
  });
  const printDetails = () => {
    const account = emulator.topology();
    if (opts.json) {
      out.data({
        url: emulator.url,
        account_sid: emulator.accountSid,
        auth_token: emulator.authToken,
        numbers: emulator.numbers.map((n) => ({ sid: n.sid, phone_number: n.phoneNumber })),
        services: account.services,
        applications: account.applications,
        senders: account.senders,
        sandbox: account.sandbox,
        account: account.account,
        ...(emulator.controlToken !== null && { control_token: emulator.controlToken }),
      });
    } else {
      out.line(`Twilio emulator at ${c.bold(emulator.url)}`);
      out.line(`  account sid  ${emulator.accountSid}`);
      out.line(`  auth token   ${emulator.authToken}   (the emulator's own, not a Twilio secret)`);
      out.line(`  numbers      ${emulator.numbers.map((n) => n.phoneNumber).join(', ')}`);
      for (const sv of account.services) {
        out.line(
          `  service      ${sv.sid} ${JSON.stringify(sv.friendly_name)} inbound ${sv.inbound_request_url ?? '(none: drops messages)'}${sv.use_inbound_webhook_on_number ? ' (defers to the number)' : ''} numbers ${(sv.phone_numbers as string[]).join(', ') || '(none)'}`,
        );
      }
      for (const a of account.applications)
        out.line(
          `  twiml app    ${a.sid} ${JSON.stringify(a.friendly_name)} sms ${a.sms_url || '(none)'} numbers ${(a.phone_numbers as string[]).join(', ') || '(none)'}`,
        );
      for (const x of account.senders)
        out.line(
          `  wa sender    ${x.sid} ${x.sender_id} webhook ${(x.webhook as { callback_url: string | null }).callback_url ?? '(none)'}`,
        );
      out.line(
        `  sandbox      ${account.sandbox.phone_number} inbound ${account.sandbox.inbound_url ?? '(none)'} join with "join ${account.sandbox.join_code}"`,
      );
      if (account.account.enforce_media_auth)
        out.line('  media auth   enforced: media URLs answer 401 without Basic auth');
      out.line(`  control API  POST ${emulator.url}/_emulator/inbound {"from","to","body"}`);
      if (emulator.controlToken !== null) out.line(`  control auth Authorization: Bearer ${emulator.controlToken}`);
      out.line('');
      out.line(c.dim('Use it from a config:'));
      out.line(
        `  printf %s ${emulator.authToken} | fruxon-twilio add-config --name emulator --from ${emulator.numbers[0]?.phoneNumber} --account-sid ${emulator.accountSid} --auth-token-stdin --api-url ${emulator.url}`,
      );
      out.status(c.dim('Press Ctrl-C to stop.'));
    }
    for (const entry of early ?? []) print(entry);
    early = null;
  };
  // Listening for a stop before printing the details and "Press Ctrl-C": a Ctrl-C right after them stops it cleanly.
  const stopper = ctx.untilStopped();
  try {
    printDetails();
    await stopper.stopped;
  } finally {
    stopper.dispose();
  }
  await emulator.stop();
}
