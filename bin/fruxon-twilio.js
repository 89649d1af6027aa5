#!/usr/bin/env node
const major = Number(process.versions.node.split('.')[0]);
if (major < 20 || major === 21) {
  process.stderr.write(
    `fruxon-twilio: Node.js ${process.versions.node} is not supported; use Node.js 20, 22, 24 or 26\n`,
  );
  process.exit(1);
}
const { main } = await import('../dist/src/cli.js');
main(process.argv).then((code) => {
  process.exitCode = code;
});
