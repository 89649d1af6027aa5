import { randomUUID } from 'node:crypto';
import { inboundFields } from './common.js';

/**
 * Fills a data directory with `configs` configs and `events` events, written straight into SQLite with the
 * project's own schema (openStore runs the migrations), in one transaction.
 */
export async function populate(home: string, configs: number, events: number): Promise<void> {
  const { openStore } = await import('../src/store/index.js');
  const store = openStore({ FRUXON_TWILIO_HOME: home });
  try {
    const { db } = store;
    const insertConfig = db.prepare(
      `INSERT INTO configs (id, name, from_number, account_sid, auth_method, api_key_sid, secret_source, api_url, is_default, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'auth-token', NULL, 'env', NULL, ?, ?, ?)`,
    );
    const insertEvent = db.prepare(
      `INSERT INTO events (config_id, config_name, received_at, status, reason, message_sid, idempotency_token, channel, from_number, body,
         signature_valid, raw_form, headers, payload)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'sms', ?, ?, ?, ?, ?, ?)`,
    );
    const ids: { id: string; name: string }[] = [];
    const t0 = Date.parse('2025-01-01T00:00:00Z');
    db.transaction(() => {
      for (let i = 0; i < configs; i++) {
        const id = randomUUID();
        const name = `config-${String(i).padStart(5, '0')}`;
        const at = new Date(t0 + i * 1000).toISOString();
        insertConfig.run(
          id,
          name,
          '+1500555' + String(i % 10000).padStart(4, '0'),
          'AC' + id.replace(/-/g, ''),
          i === 0 ? 1 : 0,
          at,
          at,
        );
        ids.push({ id, name });
      }
    })();
    const headers = JSON.stringify({
      'x-twilio-signature': 'x'.repeat(28),
      'user-agent': 'TwilioProxy/1.1',
      'content-type': 'application/x-www-form-urlencoded',
    });
    const batch = 50_000;
    for (let start = 0; start < events; start += batch) {
      db.transaction(() => {
        for (let i = start; i < Math.min(events, start + batch); i++) {
          const c = ids[i % ids.length]!;
          const f = inboundFields(i, 'sc');
          const refused = i % 50 === 49;
          const payload = refused
            ? null
            : JSON.stringify({
                text: f.Body,
                from: f.From,
                channel: 'sms',
                message_sid: f.MessageSid,
                session_id: f.From,
                event_type: 'message',
                media: [],
              });
          insertEvent.run(
            c.id,
            c.name,
            new Date(t0 + i * 100).toISOString(),
            refused ? 'refused' : 'accepted',
            refused ? 'invalid_signature' : null,
            f.MessageSid,
            f.MessageSid,
            f.From,
            f.Body,
            refused ? 0 : 1,
            JSON.stringify(f),
            headers,
            payload,
          );
        }
      })();
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    store.close();
  }
}
