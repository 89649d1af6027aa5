import { homedir } from 'node:os';
import { join } from 'node:path';

/** The data directory: $FRUXON_TWILIO_HOME, else the platform's per-user data directory. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FRUXON_TWILIO_HOME) return env.FRUXON_TWILIO_HOME;
  const home = env.HOME || homedir();
  switch (process.platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'fruxon-twilio');
    case 'win32':
      return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'fruxon-twilio');
    default:
      return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'fruxon-twilio');
  }
}

export const DB_FILE = 'fruxon-twilio.db';
