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

// ssh2 and cpu-features require native addons (.node) inside try/catch and fall back to pure JS:
// in the bundle such a require throws, so the pure-JS paths are taken and no addon is needed.
const withoutNativeAddons = {
  name: 'without-native-addons',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, namespace: 'native-addon' }));
    b.onLoad({ filter: /.*/, namespace: 'native-addon' }, (args) => ({ contents: `throw new Error(${JSON.stringify(`native addon ${args.path} is not bundled`)});`, loader: 'js' }));
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
  plugins: [withoutDevtools, withoutNativeAddons],
  define: { 'process.env.NODE_ENV': '"production"', BADGATEWAY_VERSION: JSON.stringify(version) },
  banner: {
    // ssh2 (CommonJS) reads __dirname when it loads; an ES module has none, so the bundle defines it.
    js: "#!/usr/bin/env node\nimport { createRequire as __badgatewayRequire } from 'node:module';\nimport { fileURLToPath as __badgatewayPath } from 'node:url';\nconst require = __badgatewayRequire(import.meta.url);\nconst __dirname = __badgatewayPath(new URL('.', import.meta.url));",
  },
  logLevel: 'warning',
});
