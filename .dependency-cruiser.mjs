// The import rules of core/src and ui/src, checked by `npm run lint` (dependency-cruiser).
//
// core/src is built in layers; a folder may import its own layer and the layers below it, never
// one above (README, "Layers"). Folders of one layer may import each other, but no import cycle
// is allowed anywhere. Type-only imports count: a type cycle is still a cycle.
//
// Specs (*.spec.ts, spec-*.ts) may import any layer: a test wires the real parts together. The
// UI may import core only through the package exports meant for a browser.

/** Bottom to top. A new folder under core/src fails the check until it is placed here. */
const LAYERS = [
  ['kernel'], // domain types, error codes, ArchyError: imports nothing of the project
  ['util'],
  ['manifest', 'podman', 'network', 'layout'],
  ['security', 'bitcoin', 'resolver', 'interfaces', 'health', 'resources'],
  ['catalog', 'import'],
  ['pipeline'],
  ['provisioning', 'os-image'], // os-image: Archipelago OS's version and A/B updates (downloads through pipeline)
  ['tor', 'logs'], // the apps' own Tor (image, torrc, onions); the apps' kept output (logs/{app-id}/)
  ['orchestrator', 'versions'],
  ['backup'], // restic snapshots of apps, schedule, restore: drives apps through the orchestrator
  ['api'],
  ['daemon'],
  ['parmanode'], // coming from Parmanode: module converter, script runner, discover/adopt (CLI side)
  ['cli'],
];

const folders = (names) => `^core/src/(${names.join('|')})/`;
const SPEC = '(\\.spec\\.ts|/spec-[^/]*\\.ts)$';

const above = (index) => folders(LAYERS.slice(index + 1).flat());

const upward = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer-${layer.join('-')}`,
  comment: `${layer.join(', ')} may not import a layer above it (${LAYERS.slice(index + 1)
    .flat()
    .join(', ')})`,
  severity: 'error',
  from: { path: folders(layer), pathNot: SPEC },
  to: { path: above(index) },
}));

export default {
  forbidden: [
    ...upward,
    {
      name: 'no-circular',
      comment: 'no import cycle, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'kernel-is-a-leaf',
      comment:
        'the kernel imports nothing outside itself (no project code, packages or node:*): the UI bundles it',
      severity: 'error',
      from: { path: '^core/src/kernel/' },
      to: { pathNot: '^core/src/kernel/' },
    },
    {
      name: 'contract-is-browser-safe',
      comment: 'api/contract.ts reaches the UI: it may re-export the kernel and nothing else',
      severity: 'error',
      from: { path: '^core/src/api/contract\\.ts$' },
      to: { pathNot: '^core/src/kernel/' },
    },
    {
      name: 'every-folder-has-a-layer',
      comment: 'a folder under core/src that is in no layer: add it to LAYERS in .dependency-cruiser.mjs',
      severity: 'error',
      from: { path: `^core/src/(?!(${LAYERS.flat().join('|')})/)` },
      to: {},
    },
    {
      name: 'ui-only-through-core-exports',
      comment: 'the UI imports core only as @archipelago/core/{contract,ws-protocol,bitcoin-version,qr-code}',
      severity: 'error',
      from: { path: '^ui/src/' },
      to: {
        path: '(^core/)|(^@archipelago/core(?!/(contract|ws-protocol|bitcoin-version|qr-code)$))',
      },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.vue'] },
    cache: { folder: 'node_modules/.cache/dependency-cruiser', strategy: 'content' },
  },
};
