import { mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../test/integration/lab/ports.js';
import { start, waitForPort } from '../test/integration/lab/processes.js';
import { BenchLab } from './lab.js';
import { cli, median, reportOf, timed } from './measure.js';

/**
 * A shared-hosting box in Debian's layout: nginx.conf, conf.d/*.conf, sites-available/ with a symlink per
 * site in sites-enabled/, a snippet every site includes. Every site proxies to its own backend port; the
 * site asked about is the default server of the port and its backend is down (backend-down).
 */
export function writeSites(dir: string, sites: number, port: number, deadPort: number): { confFile: string; target: number } {
  for (const sub of ['conf.d', 'sites-available', 'sites-enabled', 'snippets', 'logs', 'temp']) mkdirSync(join(dir, sub), { recursive: true });
  const target = Math.floor(sites / 2);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `user nobody nogroup;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/main-error.log;
events { worker_connections 64; }
http {
    access_log off;
    error_log ${dir}/logs/error.log;
    server_names_hash_max_size 65536;
    server_names_hash_bucket_size 128;
    client_body_temp_path ${dir}/temp/body;
    proxy_temp_path ${dir}/temp/proxy;
    fastcgi_temp_path ${dir}/temp/fastcgi;
    uwsgi_temp_path ${dir}/temp/uwsgi;
    scgi_temp_path ${dir}/temp/scgi;
    include conf.d/*.conf;
    include sites-enabled/*;
}
`,
  );
  writeFileSync(join(dir, 'conf.d', 'timeouts.conf'), 'proxy_connect_timeout 5s;\nproxy_read_timeout 30s;\n');
  writeFileSync(join(dir, 'snippets', 'proxy.conf'), 'proxy_set_header Host $host;\nproxy_set_header X-Real-IP $remote_addr;\n');
  for (let i = 0; i < sites; i++) {
    const name = `site${String(i).padStart(5, '0')}`;
    const backend = i === target ? deadPort : 20000 + (i % 20000);
    writeFileSync(
      join(dir, 'sites-available', `${name}.conf`),
      `server {
    listen 127.0.0.1:${port}${i === target ? ' default_server' : ''};
    server_name ${name}.example.test www.${name}.example.test;
    root /srv/www/${name}/public;
    location / {
        include snippets/proxy.conf;
        proxy_pass http://127.0.0.1:${backend};
    }
    location /static/ {
        expires 7d;
    }
}
`,
    );
    symlinkSync(`../sites-available/${name}.conf`, join(dir, 'sites-enabled', `${name}.conf`));
  }
  return { confFile: join(dir, 'nginx.conf'), target };
}

export interface ConfigRun {
  sites: number;
  how: string;
  ms: number;
  maxRssKb: number;
  cause: string | null;
}

export interface HugeConfigResult {
  one: ConfigRun;
  huge: ConfigRun;
  /** Runs after one before them kept the read (config-read-cache.ts): the files' metadata checked, not read. */
  oneKept: ConfigRun;
  hugeKept: ConfigRun;
  keptRatio: number;
  /** The huge box's kept run against the one-vhost box's first run (no kept read there). */
  keptToFirstRatio: number;
  /** The old way on the same huge box: the files touched after nginx loaded them, so nginx -T is asked. */
  dumped: ConfigRun;
  ratio: number;
  dumpedRatio: number;
}

/** kept: the read kept by the run before (one unmeasured run first); else each run starts with no kept read. */
async function diagnose(sites: number, how: string, url: string, dir: string, reps: number, kept = false): Promise<ConfigRun> {
  const runs: { ms: number; rss: number; cause: string | null; how: string }[] = [];
  const state = join(dir, 'state');
  const env = { ...process.env, BADGATEWAY_STATE_DIR: state };
  const argv = (rssFile: string) => ['/usr/bin/time', '-f', '%M', '-o', rssFile, process.execPath, cli(), '--json', '--url', url];
  rmSync(state, { recursive: true, force: true });
  if (kept) await timed(argv(join(dir, 'rss-warm')), { env, timeoutMs: 180_000 });
  for (let i = 0; i < reps; i++) {
    const rssFile = join(dir, `rss-${sites}-${how}-${kept}-${i}`);
    if (!kept) rmSync(state, { recursive: true, force: true });
    const run = await timed(argv(rssFile), { env, timeoutMs: 180_000 });
    const report = reportOf(run);
    const said = (report.diagnosis?.evidence ?? []).flatMap((e: { lines: string[] }) => e.lines).find((l: string) => /^read from the files|^nginx -T, /.test(l)) ?? '?';
    runs.push({
      ms: run.ms,
      rss: Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)),
      cause: report.diagnosis?.cause ?? null,
      how: said.startsWith('read from') ? 'read' : 'nginx -T',
    });
  }
  return {
    sites,
    how: [...new Set(runs.map((r) => r.how))].join(' / '),
    ms: median(runs.map((r) => r.ms)),
    maxRssKb: median(runs.map((r) => r.rss)),
    cause: [...new Set(runs.map((r) => r.cause))].join(' / '),
  };
}

/** A box with one nginx on `sites` vhosts (one nginx: as on a real box, and as the login probe expects). */
async function box(lab: BenchLab, sites: number, log: (line: string) => void): Promise<{ url: string; dir: string; touch: () => void; stop: () => Promise<void> }> {
  const dir = lab.scratchDir(`bgw-bench-sites-${sites}-`);
  const [port, deadPort] = [await freePort(), await freePort()];
  const { confFile } = writeSites(dir, sites, port, deadPort);
  // The config reader trusts files that changed before nginx loaded them (50 ms to spare).
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  const nginx = lab.own(start('nginx', ['-p', `${dir}/`, '-c', confFile, '-g', 'daemon off;']));
  await waitForPort('127.0.0.1', port, `nginx with ${sites} sites`, 120_000);
  log(`[bench] nginx with ${sites} sites up in ${Date.now() - started} ms`);
  return {
    url: `http://127.0.0.1:${port}/`,
    dir,
    touch: () => {
      const now = new Date();
      utimesSync(confFile, now, now);
    },
    stop: () => nginx.stop(),
  };
}

export async function hugeConfig(options: { reps: number; sites?: number; log?: (line: string) => void }): Promise<HugeConfigResult> {
  const log = options.log ?? (() => {});
  const sites = options.sites ?? 20_000;
  const lab = new BenchLab();
  try {
    const small = await box(lab, 1, log);
    const one = await diagnose(1, 'read', small.url, small.dir, options.reps);
    const oneKept = await diagnose(1, 'read', small.url, small.dir, options.reps, true);
    await small.stop();
    const big = await box(lab, sites, log);
    const huge = await diagnose(sites, 'read', big.url, big.dir, options.reps);
    const hugeKept = await diagnose(sites, 'read', big.url, big.dir, options.reps, true);
    big.touch();
    const dumped = await diagnose(sites, 'nginx -T', big.url, big.dir, options.reps);
    return {
      one,
      huge,
      oneKept,
      hugeKept,
      dumped,
      ratio: huge.ms / one.ms,
      keptRatio: hugeKept.ms / oneKept.ms,
      keptToFirstRatio: hugeKept.ms / one.ms,
      dumpedRatio: dumped.ms / one.ms,
    };
  } finally {
    await lab.cleanup();
  }
}
