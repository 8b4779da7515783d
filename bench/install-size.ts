import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The libraries dist/ bundles; before issue 17 the package listed them as runtime dependencies. */
const BUNDLED = ['ink', 'ink-select-input', 'react', 'ssh-config', 'ssh2', 'yaml', 'zod', 'zustand'];
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

export interface InstallSize {
  /** du -sk of the installed package (npm pack, then npm install -g --offline into a temp prefix). */
  installedKb: number;
  packages: number;
  scripts: string[];
  /** The same package with the bundled libraries as runtime dependencies: its own size plus theirs. */
  baselineKb: number;
  baselinePackages: number;
  baselineScripts: string[];
}

const du = (path: string, exclude?: string): number => Number(execFileSync('du', ['-sk', ...(exclude ? [`--exclude=${exclude}`] : []), path], { encoding: 'utf8' }).split('\t')[0]);

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

const manifestOf = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Where node would find `name` from a package at `from`: its own node_modules, then upwards. */
function resolveFrom(from: string, name: string): string | null {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || dir.length <= ROOT.length) return null;
    dir = join(dir, '..');
    if (dir.endsWith('node_modules')) dir = join(dir, '..');
  }
}

/** The runtime closure of the bundled libraries in this tree's node_modules, each package once. */
function closure(): { dirs: string[]; scripts: string[] } {
  const seen = new Set<string>();
  const scripts: string[] = [];
  const visit = (dir: string): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const manifest = manifestOf(dir);
    const own = INSTALL_SCRIPTS.filter((s) => manifest.scripts?.[s]);
    if (own.length || existsSync(join(dir, 'binding.gyp'))) scripts.push(dir.slice(dir.lastIndexOf('node_modules/') + 13));
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      const found = resolveFrom(dir, name);
      if (found) visit(found);
    }
  };
  for (const name of BUNDLED) {
    const found = resolveFrom(ROOT, name);
    if (!found) throw new Error(`${name} is not in node_modules: cannot measure the baseline`);
    visit(found);
  }
  return { dirs: [...seen], scripts };
}

/** Every package directory of an installed tree (node_modules/X, node_modules/@scope/X, nested ones). */
function installedPackages(modules: string): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.')) continue;
      const names = entry.startsWith('@') ? readdirSync(join(dir, entry)).map((name) => join(entry, name)) : [entry];
      for (const name of names) {
        const pkg = join(dir, name);
        if (existsSync(join(pkg, 'package.json'))) found.push(pkg);
        if (existsSync(join(pkg, 'node_modules'))) visit(join(pkg, 'node_modules'));
      }
    }
  };
  visit(modules);
  return found;
}

export function installSize(): InstallSize {
  const work = mkdtempSync(join(tmpdir(), 'bgw-bench-install-'));
  try {
    const env = { ...process.env, npm_config_cache: join(work, 'cache'), npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { filename: string }[];
    const prefix = join(work, 'prefix');
    mkdirSync(prefix);
    execFileSync('npm', ['install', '--global', '--offline', '--prefix', prefix, join(work, packed[0]!.filename)], { cwd: work, env, stdio: 'pipe' });
    const modules = join(prefix, 'lib', 'node_modules');
    const packages = installedPackages(modules);
    const scripts = packages.filter((dir) => INSTALL_SCRIPTS.some((s) => manifestOf(dir).scripts?.[s])).map((dir) => dir.slice(modules.length + 1));
    const deps = closure();
    const depsKb = deps.dirs.reduce((sum, dir) => sum + du(dir, 'node_modules'), 0);
    return {
      installedKb: du(modules),
      packages: packages.length,
      scripts,
      baselineKb: du(join(modules, 'badgateway')) + depsKb,
      baselinePackages: 1 + deps.dirs.length,
      baselineScripts: deps.scripts,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
