/**
 * The schema, as an append-only list: migration N moves a store from user_version N-1 to N.
 * Never edit a shipped migration; add the next one.
 */
export const migrations: readonly string[] = [
  // 1: configs. The secret itself is never here: `secret_source` says where it lives.
  `CREATE TABLE configs (
     id            TEXT PRIMARY KEY,
     name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
     from_number   TEXT NOT NULL,
     account_sid   TEXT NOT NULL,
     auth_method   TEXT NOT NULL CHECK (auth_method IN ('auth-token', 'api-key')),
     api_key_sid   TEXT,
     secret_source TEXT NOT NULL CHECK (secret_source IN ('keychain', 'env')),
     api_url       TEXT,
     is_default    INTEGER NOT NULL DEFAULT 0,
     created_at    TEXT NOT NULL,
     updated_at    TEXT NOT NULL
   );
   CREATE UNIQUE INDEX configs_one_default ON configs (is_default) WHERE is_default = 1;`,

  // 2: leases. A running (or crashed) listener's hold on a number, with what to put back.
  `CREATE TABLE leases (
     config_id           TEXT PRIMARY KEY REFERENCES configs (id),
     number_sid          TEXT NOT NULL,
     phone_number        TEXT NOT NULL,
     previous_sms_url    TEXT,
     previous_sms_method TEXT,
     our_url             TEXT NOT NULL,
     pid                 INTEGER NOT NULL,
     hostname            TEXT NOT NULL,
     started_at          TEXT NOT NULL
   );`,

  // 3: events. Every request a listener answered, accepted or refused. One accepted row per MessageSid.
  `CREATE TABLE events (
     id                 INTEGER PRIMARY KEY AUTOINCREMENT,
     config_id          TEXT NOT NULL,
     config_name        TEXT NOT NULL,
     received_at        TEXT NOT NULL,
     status             TEXT NOT NULL CHECK (status IN ('accepted', 'refused')),
     reason             TEXT,
     message_sid        TEXT,
     idempotency_token  TEXT,
     channel            TEXT,
     from_number        TEXT,
     body               TEXT,
     signature_valid    INTEGER,
     raw_form           TEXT NOT NULL,
     headers            TEXT NOT NULL,
     payload            TEXT,
     forward_url        TEXT,
     forward_status     INTEGER,
     forward_ms         REAL,
     forward_error      TEXT
   );
   CREATE UNIQUE INDEX events_once_per_message ON events (config_id, message_sid)
     WHERE status = 'accepted' AND message_sid IS NOT NULL;
   CREATE INDEX events_by_config ON events (config_id, id);
   CREATE INDEX events_by_time ON events (received_at);`,

  // 4: participants. Contacts bound to a channel by phone number, as Fruxon's participant binding.
  `CREATE TABLE participants (
     id          TEXT PRIMARY KEY,
     name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
     phone       TEXT NOT NULL,
     whatsapp    INTEGER NOT NULL DEFAULT 0,
     config_id   TEXT REFERENCES configs (id) ON DELETE CASCADE,
     created_at  TEXT NOT NULL
   );
   CREATE INDEX participants_by_phone ON participants (phone);`,

  // 5: the production webhook URL's masked form (origin + a few characters of its key). The URL itself is a
  // secret and lives in the keychain (or $FRUXON_TWILIO_WEBHOOK_URL); this only says that one is recorded.
  `ALTER TABLE configs ADD COLUMN webhook_url_hint TEXT;`,

  // 6: a lease whose number pointed at the recorded production webhook URL keeps a flag, not the URL: that
  // URL carries Fruxon's secret key and is read back from the keychain at restore time.
  `ALTER TABLE leases ADD COLUMN previous_is_production INTEGER NOT NULL DEFAULT 0;`,

  // 7: events list newest first by time, per config, and the (rare) refused ones, with a walk of one index
  // whatever the filters: it stays instant with a million events. Partial indexes cost accepted rows nothing.
  `CREATE INDEX events_by_config_time ON events (config_id, received_at);
   CREATE INDEX events_refused_by_time ON events (received_at) WHERE status = 'refused';
   CREATE INDEX events_refused_by_config ON events (config_id, received_at) WHERE status = 'refused';`,

  // 8: Fruxon. The tenant a token was stored for and its API base (the token itself is in the keychain,
  // account `fruxon:<tenant>`), and which Fruxon integration config a local config is linked to.
  `CREATE TABLE fruxon_accounts (
     tenant       TEXT PRIMARY KEY,
     api_url      TEXT,
     is_default   INTEGER NOT NULL DEFAULT 0,
     subject      TEXT,
     scopes       TEXT NOT NULL DEFAULT '[]',
     logged_in_at TEXT NOT NULL
   );
   CREATE UNIQUE INDEX fruxon_accounts_one_default ON fruxon_accounts (is_default) WHERE is_default = 1;
   CREATE TABLE fruxon_links (
     config_id          TEXT PRIMARY KEY REFERENCES configs (id) ON DELETE CASCADE,
     tenant             TEXT NOT NULL,
     fruxon_config_id   TEXT NOT NULL,
     webhook_key_prefix TEXT,
     linked_at          TEXT NOT NULL,
     updated_at         TEXT NOT NULL
   );`,

  // 9: events_by_config (config_id, id) serves no query since 7 (events_by_config_time answers the per-config
  // ones), and every inbound webhook paid for keeping it up to date.
  `DROP INDEX IF EXISTS events_by_config;`,

  // 10: what a refused request keeps instead of its form (anyone can send one): the remote address and at most
  // the first 1 KiB of the body.
  `ALTER TABLE events ADD COLUMN remote_address TEXT;
   ALTER TABLE events ADD COLUMN body_excerpt TEXT;`,

  // 11: a lease records the layer it changed (the number, its TwiML App, its Messaging Service, its WhatsApp
  // sender), that layer's SID and every value it changed (JSON), so a restore puts back exactly that. Existing
  // leases are number leases, as before. A production URL is never stored: "production" stands for it.
  `ALTER TABLE leases ADD COLUMN layer TEXT NOT NULL DEFAULT 'number';
   ALTER TABLE leases ADD COLUMN layer_sid TEXT;
   ALTER TABLE leases ADD COLUMN previous_values TEXT;`,

  // 12: delivery-status callbacks a listener received (never a trigger): kept apart from the events, so the
  // message queries and their indexes are untouched. `events list --kind status` reads them.
  `CREATE TABLE status_events (
     id           INTEGER PRIMARY KEY AUTOINCREMENT,
     config_id    TEXT NOT NULL REFERENCES configs (id) ON DELETE CASCADE,
     config_name  TEXT NOT NULL,
     received_at  TEXT NOT NULL,
     message_sid  TEXT,
     status       TEXT NOT NULL,
     error_code   INTEGER,
     to_address   TEXT,
     from_address TEXT
   );
   CREATE INDEX status_events_by_time ON status_events (config_id, received_at);`,

  // 13: a restore claims the lease before it reads what to put back (the restoring process, its host, since
  // when), so that `link` never marks a lease whose restore already read it. NULL: nobody is restoring it
  // (every lease before 13).
  `ALTER TABLE leases ADD COLUMN restoring_pid INTEGER;
   ALTER TABLE leases ADD COLUMN restoring_host TEXT;
   ALTER TABLE leases ADD COLUMN restoring_since TEXT;`,

  // 14: a config's Twilio region and edge (add-config --region ie1 --edge dublin); NULL: US1, as before.
  // TWILIO_REGION / TWILIO_EDGE win over them, as twilio-node reads them.
  `ALTER TABLE configs ADD COLUMN region TEXT;
   ALTER TABLE configs ADD COLUMN edge TEXT;`,
];
