// Bundles the CLI into one production-mode file: a bundled Ink app starts much sooner than tsc output.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// ink imports react-devtools-core only for DEV=true sessions; it is not a dependency, so it becomes empty.
const withoutDevtools = {
  name: 'without-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'empty' }));
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export default {};', loader: 'js' }));
  },
};

await build({
  entryPoints: ['src/cli.tsx'],
  outfile: 'dist/badgateway.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  legalComments: 'none',
  plugins: [withoutDevtools],
  define: { 'process.env.NODE_ENV': '"production"', BADGATEWAY_VERSION: JSON.stringify(version) },
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __badgatewayRequire } from 'node:module';\nconst require = __badgatewayRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
