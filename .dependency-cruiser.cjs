/**
 * The layers of the house (ARCHITECTURE.md, "The house"), kept by `npm run lint:deps` over every .ts and .tsx
 * file in src/; `npm test` runs it. Every import a file writes counts, `import type` included (see
 * scripts/depcruise-babel.cjs).
 */
const CHECK = '^src/checks/(?!check\\.ts$|index\\.ts$)[^/]+$';
const PURE = '^src/(engine|flow|checks|nginx|facts)(/|\\.ts$)';
const HOST_IMPLEMENTATIONS = '^src/hosts/(?!host\\.ts$)';

module.exports = {
  forbidden: [
    {
      name: 'check-imports-check',
      comment: 'A check is a leaf: what two checks share is a fact or its derivation (src/facts/), a command and its parser (src/system/), or an nginx value (src/nginx/). It imports only the Check interface from src/checks/.',
      severity: 'error',
      from: { path: CHECK },
      to: { path: '^src/checks/', pathNot: '^src/checks/check\\.ts$' },
    },
    {
      name: 'check-imported-from-outside',
      comment: 'Outside src/checks, checks are reached through their list (src/checks/index.ts: CHECKS, checkById) and the catalogue built on it (src/catalog.ts), never one check file.',
      severity: 'error',
      from: { pathNot: '^src/checks/' },
      to: { path: CHECK },
    },
    {
      name: 'fixes-import-checks',
      comment: 'Fixes depend on facts (src/facts/), never on checks; src/catalog.ts is what knows both.',
      severity: 'error',
      from: { path: '^src/fixes/' },
      to: { path: '^src/checks/' },
    },
    {
      name: 'facts-import-checks',
      comment: 'Facts and their derivations sit below the checks that learn and use them.',
      severity: 'error',
      from: { path: '^src/facts(/|\\.ts$)' },
      to: { path: '^src/checks/' },
    },
    {
      name: 'pure-layer-imports-ui',
      comment: 'The engine, flows, checks, facts and the nginx model never render and hold no store.',
      severity: 'error',
      from: { path: PURE },
      to: { path: '(^|/)node_modules/(ink|ink-[^/]+|react|react-dom|zustand)/' },
    },
    {
      name: 'pure-layer-runs-commands',
      comment: 'The engine, flows, checks, facts and the nginx model never run a command: no ssh2, no child_process, no Host implementation (the Host interface in src/hosts/host.ts is fine).',
      severity: 'error',
      from: { path: PURE },
      to: { path: ['(^|/)node_modules/ssh2/', '^(node:)?child_process$', HOST_IMPLEMENTATIONS] },
    },
    {
      name: 'ui-runs-commands',
      comment: 'The UI renders the store and dispatches; it never runs a command itself.',
      severity: 'error',
      from: { path: '^src/ui/' },
      to: { path: ['(^|/)node_modules/ssh2/', '^(node:)?child_process$'] },
    },
    {
      name: 'ui-wires-hosts',
      comment: 'The UI is given a store the modes made and wired (src/modes/wizard.tsx, practice.tsx); it never reaches a Host implementation or the runner itself (the Host interface in src/hosts/host.ts is fine).',
      severity: 'error',
      from: { path: '^src/ui/' },
      to: { path: [HOST_IMPLEMENTATIONS, '^src/runner/'] },
    },
    {
      name: 'no-circular',
      comment: 'No import loops in src, type-only imports included.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // TypeScript 7 has no compiler API dependency-cruiser can use: Babel reads the files (scripts/depcruise-babel.cjs).
    babelConfig: { fileName: 'scripts/depcruise-babel.cjs' },
    // Imports name ./x.js for ./x.ts (NodeNext); dependency-cruiser tries .ts/.tsx for a .js it does not find.
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      mainFields: ['module', 'main'],
    },
  },
};
