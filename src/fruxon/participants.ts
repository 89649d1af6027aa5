import { CliError } from '../errors.js';
import type { SecretStore } from '../secrets/index.js';
import { shellQuote } from '../shell.js';
import type { Config, FruxonLink, Participant, Store } from '../store/index.js';
import { E164 } from '../validate.js';
import { connectFruxon } from './account.js';
import type { FruxonClient, FruxonFactory } from './client.js';
import { bindParticipant, createParticipant, type FruxonParticipant, listParticipants } from './participants-api.js';

/**
 * Local participants and Fruxon's: `participants push` makes sure Fruxon has a PERSON with a channel on the
 * linked Fruxon config at each local participant's number (found by that channel first, created otherwise),
 * bound to the agents asked for; `participants pull` brings Fruxon's participants of that config here. Both
 * are idempotent, and neither changes what it finds: a different name is reported, never overwritten.
 */

export interface LinkedFruxon {
  client: FruxonClient;
  link: FruxonLink;
}

/** The error for a config that `link` never took to Fruxon. */
export function notLinkedError(config: Pick<Config, 'name'>): CliError {
  const name = shellQuote(config.name);
  return new CliError(
    `config ${JSON.stringify(config.name)} is not linked to a Fruxon config: run fruxon-twilio link --config ${name} first`,
    {
      reason: 'not_linked',
      hint: `fruxon-twilio link --config ${name} creates (or finds) its Fruxon config; fruxon-twilio fruxon status --config ${name} shows the link`,
    },
  );
}

/** A Fruxon client for the tenant the config is linked on (its token from FRUXON_TOKEN or the keychain). */
export function connectLinked(
  store: Store,
  config: Config,
  env: NodeJS.ProcessEnv,
  keychain: () => SecretStore,
  fruxon: FruxonFactory,
): LinkedFruxon {
  const link = store.fruxon.link(config.id);
  if (!link) throw notLinkedError(config);
  const { client } = connectFruxon(store, env, keychain, { tenant: link.tenant, fruxon });
  return { client, link };
}

/** Fruxon's participants with a channel on this Fruxon config at this number (normally one at most). */
export function participantsAt(
  all: readonly FruxonParticipant[],
  fruxonConfigId: string,
  phone: string,
): FruxonParticipant[] {
  return all.filter((p) => p.channels.some((c) => c.integrationConfigId === fruxonConfigId && c.address === phone));
}

// ---- push -------------------------------------------------------------------------------------------

export type PushAction = 'created' | 'bound' | 'unchanged' | 'skipped' | 'failed';

export interface PushResult {
  name: string;
  phone: string;
  action: PushAction;
  fruxonParticipantId: string | null;
  /** Agents this run bound it to (in the create body or with PUT …/bindings). */
  boundAgents: string[];
  detail: string;
}

export interface PushOptions {
  store: Store;
  config: Config;
  fruxon: LinkedFruxon;
  /** Local participant names (case-insensitive); empty: every participant of the config. */
  names: readonly string[];
  agentIds: readonly string[];
  onResult?: (r: PushResult) => void;
}

/** The local participants a config's messages match, or the named ones (all checked before anything is sent). */
export function participantsToPush(store: Store, config: Config, names: readonly string[]): Participant[] {
  if (names.length === 0) return store.participants.list({ configId: config.id });
  const found: Participant[] = [];
  for (const n of names) {
    const p = store.participants.byName(n.trim());
    if (!p)
      throw new CliError(`no participant named ${JSON.stringify(n)}`, {
        reason: 'not_found',
        hint: 'see them: fruxon-twilio participants list',
      });
    if (p.configId && p.configId !== config.id) {
      const other = store.configs.byId(p.configId)?.name ?? p.configId;
      throw new CliError(
        `participant ${JSON.stringify(p.name)} is bound to config ${JSON.stringify(other)}, not ${JSON.stringify(config.name)}`,
        {
          reason: 'invalid_argument',
          hint: `push it with its own config: fruxon-twilio participants push ${shellQuote(p.name)} --config ${shellQuote(other)}`,
        },
      );
    }
    if (!found.some((f) => f.id === p.id)) found.push(p);
  }
  return found;
}

export async function pushParticipants(o: PushOptions): Promise<PushResult[]> {
  const { store, config } = o;
  const { client, link } = o.fruxon;
  const fxId = link.fruxonConfigId;
  const locals = participantsToPush(store, config, o.names);
  const results: PushResult[] = [];
  const report = (r: PushResult) => {
    results.push(r);
    o.onResult?.(r);
  };
  if (locals.length === 0) return results;
  const remote = await listParticipants(client);

  for (const p of locals) {
    const base = { name: p.name, phone: p.phone };
    // The participant listen names this number after, for this config (a config-bound one over a global one).
    const winner = store.participants.findByPhone(p.phone, config.id);
    if (winner && winner.id !== p.id) {
      report({
        ...base,
        action: 'skipped',
        fruxonParticipantId: null,
        boundAgents: [],
        detail: `${p.phone} is ${JSON.stringify(winner.name)}'s number for this config, which is pushed instead`,
      });
      continue;
    }
    try {
      const at = participantsAt(remote, fxId, p.phone);
      if (at.length > 1) {
        report({
          ...base,
          action: 'failed',
          fruxonParticipantId: null,
          boundAgents: [],
          detail: `Fruxon has ${at.length} participants with a channel at ${p.phone} on this config (${at.map((a) => a.id).join(', ')}): bind the agents in the Fruxon UI`,
        });
        continue;
      }
      if (at.length === 1) {
        const fp = at[0]!;
        const missing = o.agentIds.filter((a) => !fp.agentIds.includes(a));
        for (const a of missing) await bindParticipant(client, fp.id, a);
        fp.agentIds.push(...missing);
        const named =
          fp.displayName && fp.displayName !== p.name
            ? ` (named ${JSON.stringify(fp.displayName)} on Fruxon; left as is)`
            : '';
        report({
          ...base,
          action: missing.length ? 'bound' : 'unchanged',
          fruxonParticipantId: fp.id,
          boundAgents: missing,
          detail: missing.length
            ? `participant ${fp.id} already had ${p.phone}; bound to ${missing.join(', ')}${named}`
            : `participant ${fp.id} already has ${p.phone}${o.agentIds.length ? ` and ${o.agentIds.join(', ')}` : ''}${named}`,
        });
        continue;
      }
      const created = await createParticipant(client, {
        displayName: p.name,
        channels: [{ integrationConfigId: fxId, address: p.phone }],
        agentIds: [...o.agentIds],
      });
      // The create body carries the bindings; should the answer not list one, bind it explicitly.
      const unbound = created.agentIds.length ? o.agentIds.filter((a) => !created.agentIds.includes(a)) : [];
      for (const a of unbound) await bindParticipant(client, created.id, a);
      remote.push({
        ...created,
        channels: created.channels.length
          ? created.channels
          : [{ integrationConfigId: fxId, address: p.phone, disabled: false }],
      });
      report({
        ...base,
        action: 'created',
        fruxonParticipantId: created.id,
        boundAgents: [...o.agentIds],
        detail: `participant ${created.id} (PERSON) with ${p.phone} on Fruxon config ${fxId}${o.agentIds.length ? `, bound to ${o.agentIds.join(', ')}` : ''}`,
      });
    } catch (err) {
      report({
        ...base,
        action: 'failed',
        fruxonParticipantId: null,
        boundAgents: [],
        detail: err instanceof CliError ? err.message : String((err as Error)?.message ?? err),
      });
    }
  }
  return results;
}

// ---- pull -------------------------------------------------------------------------------------------

export type PullAction = 'imported' | 'unchanged' | 'conflict' | 'skipped';

export interface PullResult {
  /** The local participant's name (the one kept, for a conflict); null when none was added. */
  name: string | null;
  phone: string;
  fruxonParticipantId: string;
  fruxonDisplayName: string;
  action: PullAction;
  detail: string;
}

/**
 * Fruxon's participants with a channel on the linked config become local participants bound to this
 * config. A local participant already at that number is kept (a different name is a conflict, reported);
 * a name already used by another local participant is a conflict too.
 */
export async function pullParticipants(o: {
  store: Store;
  config: Config;
  fruxon: LinkedFruxon;
  onResult?: (r: PullResult) => void;
}): Promise<PullResult[]> {
  const { store, config } = o;
  const fxId = o.fruxon.link.fruxonConfigId;
  const remote = await listParticipants(o.fruxon.client);
  const results: PullResult[] = [];
  const report = (r: PullResult) => {
    results.push(r);
    o.onResult?.(r);
  };
  const sorted = [...remote].sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id));
  for (const fp of sorted) {
    const addresses = [...new Set(fp.channels.filter((c) => c.integrationConfigId === fxId).map((c) => c.address))];
    for (const phone of addresses) {
      const base = { phone, fruxonParticipantId: fp.id, fruxonDisplayName: fp.displayName };
      if (!E164.test(phone)) {
        report({
          ...base,
          name: null,
          action: 'skipped',
          detail: `its address ${JSON.stringify(phone)} is not an E.164 number`,
        });
        continue;
      }
      const local = store.participants.findByPhone(phone, config.id);
      if (local) {
        report(
          local.name === fp.displayName
            ? {
                ...base,
                name: local.name,
                action: 'unchanged',
                detail: `already here as ${JSON.stringify(local.name)}`,
              }
            : {
                ...base,
                name: local.name,
                action: 'conflict',
                detail: `the local participant ${JSON.stringify(local.name)} has ${phone}; Fruxon calls it ${JSON.stringify(fp.displayName)}: the local one is kept`,
              },
        );
        continue;
      }
      const name = fp.displayName.trim();
      if (!name || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name) || E164.test(name)) {
        report({
          ...base,
          name: null,
          action: 'skipped',
          detail: `Fruxon's display name ${JSON.stringify(fp.displayName)} cannot be a local participant name (1 to 100 printable characters, not a phone number)`,
        });
        continue;
      }
      const taken = store.participants.byName(name);
      if (taken) {
        report({
          ...base,
          name: null,
          action: 'conflict',
          detail: `a local participant named ${JSON.stringify(taken.name)} already has another number (${taken.phone}): not imported; rename one of them`,
        });
        continue;
      }
      const added = store.participants.add({ name, phone, configId: config.id });
      report(
        added
          ? { ...base, name: added.name, action: 'imported', detail: `added for config ${JSON.stringify(config.name)}` }
          : {
              ...base,
              name: null,
              action: 'conflict',
              detail: `the name ${JSON.stringify(name)} was taken meanwhile: not imported`,
            },
      );
    }
  }
  return results;
}
