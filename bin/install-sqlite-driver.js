#!/usr/bin/env node
// postinstall: the SQLite driver for Node.js 20 (src/store/sqlite.ts says why there are two).
// Node 22 and newer use better-sqlite3 13 from package.json (prebuilt N-API binaries inside the npm package):
// nothing to do. On Node 20, better-sqlite3 12 is installed under the alias `better-sqlite3-node20`; its
// native build (about 90 s on 2 cores) is kept in the user's cache, so the next install on this machine
// copies it instead of compiling again.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '12.11.1';
const ALIAS = 'better-sqlite3-node20';
const major = Number(process.versions.node.split('.')[0]);
if (major >= 22 || process.env.FRUXON_TWILIO_DRIVER_INSTALLING) process.exit(0);
if (major !== 20) {
  console.error(`fruxon-twilio: Node.js ${process.versions.node} is not supported; use Node.js 20, 22, 24 or 26`);
  process.exit(0); // the CLI itself says so again at start; the install of the rest need not fail
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = join(root, 'node_modules', ALIAS);
const binary = join(pkgDir, 'build', 'Release', 'better_sqlite3.node');
const cacheDir = join(
  process.env.XDG_CACHE_HOME || join(homedir(), '.cache'),
  'fruxon-twilio',
  `better-sqlite3-${VERSION}-${process.platform}-${process.arch}-abi${process.versions.modules}`,
);
const cached = join(cacheDir, 'better_sqlite3.node');

function installedVersion() {
  try {
    return JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

function loads() {
  const probe = `const D = require(${JSON.stringify(pkgDir)}); new D(':memory:').prepare('select 1').get();`;
  return spawnSync(process.execPath, ['-e', probe], { stdio: 'ignore' }).status === 0;
}

function npmInstall(extra) {
  const npm = process.env.npm_execpath;
  const args = ['install', '--no-save', '--no-audit', '--no-fund', ...extra, `${ALIAS}@npm:better-sqlite3@${VERSION}`];
  const [cmd, argv] = npm ? [process.execPath, [npm, ...args]] : ['npm', args];
  // Into this package's own node_modules, also when it is itself being installed with `npm install -g` (whose
  // npm_config_global/location/prefix the child would inherit: the driver would land beside the package, not in
  // it). There this package is the project, and its package.json's allowScripts lets npm 11 build better-sqlite3.
  const env = { ...process.env, FRUXON_TWILIO_DRIVER_INSTALLING: '1' };
  for (const k of Object.keys(env)) if (/^npm_config_(global|location|prefix)$/i.test(k)) delete env[k];
  const r = spawnSync(cmd, [...argv, '--location=project'], { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`fruxon-twilio: installing ${ALIAS} (better-sqlite3 ${VERSION}) for Node.js 20 failed`);
    process.exit(1);
  }
}

if (installedVersion() === VERSION && existsSync(binary) && loads()) process.exit(0);

if (existsSync(cached)) {
  npmInstall(['--ignore-scripts']);
  mkdirSync(dirname(binary), { recursive: true });
  copyFileSync(cached, binary);
  if (loads()) process.exit(0);
}

console.error(
  `fruxon-twilio: building better-sqlite3 ${VERSION} for Node.js 20 (once per machine; kept in ${cacheDir})`,
);
npmInstall([]);
if (!loads()) {
  console.error(`fruxon-twilio: ${ALIAS} was installed but does not load on Node.js ${process.versions.node}`);
  process.exit(1);
}
try {
  mkdirSync(cacheDir, { recursive: true });
  copyFileSync(binary, cached);
} catch {
  // no cache: the next install builds again
}
