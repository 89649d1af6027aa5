import { readFileSync } from 'node:fs';

/** The package's version, read from package.json (two levels up from dist/src/). */
export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}
