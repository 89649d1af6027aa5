// @ts-check
/**
 * The layer rules (issue 29): a module may import from its own layer and the layers below it, never from a
 * layer above, and no module may take part in a circle. Type-only imports count (tsPreCompilationDeps).
 * Tests and bench are not cruised: they may import anything from src/.
 *
 * The layers are data: LAYERS, top first. Each entry is a name and the paths (regular expressions, from the
 * repository root) it holds. One forbidden rule per layer is derived from it, named `layers-<name>`, so that a
 * violation names the layer it climbs out of. A file under src/ that no layer holds fails too (`layers-unplaced`):
 * a new folder has to be given its place here.
 */

/** @type {{ name: string, paths: string[] }[]} */
const LAYERS = [
  {
    name: 'commands',
    paths: ['^src/cli\\.ts$', '^src/program\\.ts$', '^src/docs\\.ts$', '^src/commands/'],
  },
  { name: 'faces', paths: ['^src/interactive/', '^src/inspector/', '^src/mcp/'] },
  { name: 'output', paths: ['^src/output/'] },
  { name: 'operations', paths: ['^src/operations/'] },
  { name: 'cores', paths: ['^src/listener/', '^src/convtest/', '^src/fruxon/', '^src/emulator/'] },
  { name: 'config', paths: ['^src/config/'] },
  { name: 'twilio', paths: ['^src/twilio/'] },
  { name: 'storage', paths: ['^src/store/', '^src/secrets/'] },
  {
    name: 'leaves',
    paths: ['^src/(errors|phone|validate|shell|net-error|version|redact|trace)\\.ts$'],
  },
];

const anyOf = (/** @type {string[]} */ paths) => paths.join('|');
const placed = anyOf(LAYERS.flatMap((layer) => layer.paths));

/** @type {import('dependency-cruiser').IForbiddenRuleType[]} */
const layerRules = LAYERS.slice(1).map((layer, i) => {
  const above = LAYERS.slice(0, i + 1);
  return {
    name: `layers-${layer.name}`,
    comment: `${layer.name} may import only from its own layer and below; this import climbs to ${above.map((l) => l.name).join(', ')}`,
    severity: 'error',
    from: { path: anyOf(layer.paths) },
    to: { path: anyOf(above.flatMap((l) => l.paths)) },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'a circle between modules (importing one of them first can meet the other half-initialised)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'layers-unplaced',
      comment: 'every module under src/ belongs to a layer: add its folder to LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: placed },
    },
    {
      name: 'layers-unplaced-importer',
      comment: 'every module under src/ belongs to a layer: add its folder to LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: placed },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that resolves to nothing (a typo, or a file that moved)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript compiler API for dependency-cruiser's "tsc" parser: swc parses instead.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    exclude: { path: '\\.d\\.ts$' },
    moduleSystems: ['es6'],
  },
};
