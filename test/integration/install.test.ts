import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labScope } from './lab/scope.js';

const lab = labScope();
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** The installed package stays near the bundle's own size (dist/ is about 2 MB, the incidents 0.5 MB). */
const MAX_INSTALLED_KB = 4 * 1024;
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];

/** An environment with nothing of this repository in reach: no NODE_PATH, an npm cache of its own. */
function cleanEnv(cache: string): NodeJS.ProcessEnv {
  const { NODE_PATH: _nodePath, ...env } = process.env;
  return { ...env, npm_config_cache: cache, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv): { code: number; stdout: string; stderr: string } {
  try {
    return { code: 0, stdout: execFileSync(argv[0] as string, argv.slice(1), { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }), stderr: '' };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Every package.json under a folder: one means the package came with no dependencies. */
function packageFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => path === 'package.json' || path.endsWith('/package.json'))
    .map((path) => join(dir, path));
}

describe('the packed tarball, installed where nothing of the repository is in reach', () => {
  let prefix = '';
  let installed = '';
  let bin = '';
  let env: NodeJS.ProcessEnv = {};
  let empty = '';
  let tarball = '';
  let work = '';

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(() => {
    // Kept for the whole file (the lab's scratch folders go after each test).
    work = mkdtempSync(join(tmpdir(), 'bgw-install-'));
    empty = join(work, 'empty');
    prefix = join(work, 'prefix');
    for (const dir of [empty, prefix, join(work, 'cache')]) mkdirSync(dir);
    env = cleanEnv(join(work, 'cache'));
    const packed = run(['npm', 'pack', '--json', '--pack-destination', work], ROOT, env);
    expect(packed.code, packed.stderr).toBe(0);
    tarball = join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    // --offline: a package with no dependencies needs nothing from a registry.
    const install = run(['npm', 'install', '--global', '--offline', '--prefix', prefix, tarball], empty, env);
    expect(install.code, install.stderr).toBe(0);
    installed = join(prefix, 'lib', 'node_modules', 'badgateway');
    bin = join(prefix, 'bin', 'badgateway');
  }, 120_000);

  it('comes alone, with no install scripts, in a few megabytes', () => {
    expect(packageFiles(join(prefix, 'lib', 'node_modules'))).toEqual([join(installed, 'package.json')]);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { scripts?: Record<string, string>; dependencies?: object };
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(INSTALL_SCRIPTS.filter((name) => manifest.scripts?.[name])).toEqual([]);
    const kb = Number(execFileSync('du', ['-sk', installed], { encoding: 'utf8' }).split('\t')[0]);
    expect(kb).toBeLessThan(MAX_INSTALLED_KB);
  });

  it('answers --version and --help from an empty folder, installed or by npx of the tarball', () => {
    expect(run([bin, '--version'], empty, env)).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(run([bin, '--help'], empty, env).stdout).toContain('badgateway route --url URL');
    // npx takes a tarball as ./NAME.tgz (an absolute path would be run as a command).
    const npx = run(['npx', '--yes', '--offline', `./${basename(tarball)}`, '--version'], work, env);
    expect(npx, npx.stderr).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('walks a whole diagnosis (a bundled incident replayed) and lists its incidents', () => {
    const incidents = JSON.parse(run([bin, 'practice', '--list', '--json'], empty, env).stdout) as { id: string; cause: string }[];
    expect(incidents.length).toBeGreaterThan(10);
    const first = incidents.find((i) => i.cause === 'backend-down')!;
    const replay = run([bin, '--json', '--replay', join(installed, 'dist', 'incidents', `${first.id}.json.gz`)], empty, env);
    expect(replay.code, replay.stderr).toBe(1);
    expect(JSON.parse(replay.stdout).diagnosis.cause).toBe('backend-down');
  });

  it('routes a request on a real nginx', async () => {
    const nginx = await lab.nginx({ server: 'location /api/ { proxy_pass http://127.0.0.1:9/; }' });
    const route = run([bin, 'route', '--json', '--url', `http://127.0.0.1:${nginx.port}/api/x`], empty, env);
    expect(route.code, route.stderr).toBe(0);
    expect(JSON.parse(route.stdout)).toMatchObject({ outcome: 'proxied', pass: { target: 'http://127.0.0.1:9/' } });
  });

  it('runs from one copied folder: dist/ (the incidents inside) and flows/, with no node_modules', () => {
    const copy = join(lab.scratchDir('bgw-copy-'), 'badgateway');
    for (const part of ['dist', 'flows']) cpSync(join(installed, part), join(copy, part), { recursive: true });
    const node = process.execPath;
    expect(run([node, join(copy, 'dist', 'badgateway.js'), '--version'], empty, env).stdout).toBe(`${version}\n`);
    const list = JSON.parse(run([node, join(copy, 'dist', 'badgateway.js'), 'practice', '--list', '--json'], empty, env).stdout) as unknown[];
    expect(list.length).toBeGreaterThan(10);
  });
});
