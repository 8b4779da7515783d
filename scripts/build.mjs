// Bundles the CLI in production mode: a bundled Ink app starts much sooner than tsc output. The entry is
// small and each mode loads its own chunk, so the wizard's first frame does not wait for SSH, YAML or
// the checks. Then the shipped flow is linted and compiled to JSON beside the bundle.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// What a kept server digest was made by (src/nginx/server-digest.ts): a hash of every source file, so a
// digest made by another parser is never read as this one's.
const sources = new URL('../src/', import.meta.url);
const sourceHash = createHash('sha256');
for (const name of readdirSync(sources, { recursive: true }).map(String).sort()) {
  if (/\.tsx?$/.test(name))
    sourceHash
      .update(`${name}\0`)
      .update(readFileSync(new URL(name, sources)))
      .update('\0');
}
const buildId = `${version}-${sourceHash.digest('hex').slice(0, 16)}`;

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

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: { badgateway: 'src/cli.tsx' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  legalComments: 'none',
  plugins: [withoutDevtools, withoutNativeAddons],
  define: { 'process.env.NODE_ENV': '"production"', BADGATEWAY_VERSION: JSON.stringify(version), BADGATEWAY_BUILD: JSON.stringify(buildId) },
  banner: {
    // ssh2 (CommonJS) reads __dirname when it loads; an ES module has none, so the bundle defines it.
    // yoga-layout (ink's layout engine) fetches its inlined WebAssembly when fetch exists, which makes
    // Node load its whole HTTP client at startup; without fetch it decodes the same bytes directly.
    // badgateway itself never uses fetch (its requests run on the box, through curl).
    js: "#!/usr/bin/env node\nObject.defineProperty(globalThis, 'fetch', { value: undefined, writable: true, configurable: true });\nimport { createRequire as __badgatewayRequire } from 'node:module';\nimport { fileURLToPath as __badgatewayPath } from 'node:url';\nconst require = __badgatewayRequire(import.meta.url);\nconst __dirname = __badgatewayPath(new URL('.', import.meta.url));",
  },
  logLevel: 'warning',
});

// The practice incidents, gzipped into the bundle's folder: the package ships these (a quarter of the JSON's size).
const incidents = new URL('../incidents/', import.meta.url);
mkdirSync(new URL('../dist/incidents/', import.meta.url), { recursive: true });
for (const name of readdirSync(incidents).filter((n) => n.endsWith('.json'))) {
  writeFileSync(new URL(`../dist/incidents/${name}.gz`, import.meta.url), gzipSync(readFileSync(new URL(name, incidents)), { level: 9 }));
}

const compiler = new URL('../dist/.compile-flow.mjs', import.meta.url).pathname;
await build({
  entryPoints: ['scripts/compile-flow.ts'],
  outfile: compiler,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
try {
  await import(compiler);
} finally {
  rmSync(compiler, { force: true });
}
