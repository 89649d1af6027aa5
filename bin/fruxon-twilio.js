#!/usr/bin/env node
// `--version` alone answers before the CLI (commander, chalk, every command) is loaded: it is what scripts
// and installers call most, and the import costs more than Node's own start-up (npm run bench).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version + '\n');
} else {
  const { main } = await import('../dist/src/cli.js');
  main(process.argv).then((code) => { process.exitCode = code; });
}
