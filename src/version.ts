import { readFileSync } from 'node:fs';

/** The package's version, read from package.json (two levels up from dist/src/). */
export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}

/**
 * The installed version of each runtime dependency (package.json's `dependencies`), null when one is missing:
 * for `doctor --report`. Looked up in the node_modules above the package, as Node resolves them.
 */
export function dependencyVersions(): Record<string, string | null> {
  const root = new URL('../../', import.meta.url);
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const out: Record<string, string | null> = {};
  for (const name of Object.keys(pkg.dependencies ?? {}).sort()) {
    out[name] = null;
    for (let dir = new URL('./', root); ; dir = new URL('../', dir)) {
      try {
        out[name] = (
          JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, dir), 'utf8')) as { version: string }
        ).version;
        break;
      } catch {
        if (dir.pathname === '/') break;
      }
    }
  }
  return out;
}
