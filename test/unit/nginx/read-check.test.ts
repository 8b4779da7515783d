import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nginxConfig } from '../../../src/checks/nginx-config.js';
import type { KnownFacts } from '../../../src/facts/keys.js';
import type { CommandResult } from '../../../src/hosts/host.js';
import { parseDump } from '../../../src/nginx/parse-dump.js';
import { configFromRead, judgeReadAhead, keepJudgedRead, type ReadManifest } from '../../../src/nginx/read-check.js';
import { configReadCommand, parseConfigRead } from '../../../src/system/config-read.js';
import { NGINX_PROBE } from '../../../src/system/nginx-probe.js';

// Real output of the reader on nginx 1.22.1, equal to nginx -T's: see test/fixtures/config-read/README.md.
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/config-read/${name}`, import.meta.url), 'utf8');
const STDOUT = fixture('read.stdout');
const STDERR = fixture('read.stderr');
const ARGS = ['-p', '/tmp/h17t/cfg/', '-c', 'nginx.conf'];
const run = (stdout = STDOUT, stderr = STDERR): CommandResult => ({ argv: configReadCommand('nginx', 23958, ARGS).argv, stdout, stderr, code: 0, ms: 20 });

const manifestOf = (r: CommandResult): ReadManifest => {
  const read = parseConfigRead(r);
  if (read.kind !== 'read') throw new Error('not read');
  return read;
};

const mismatch = (stdout: string, manifest: ReadManifest = manifestOf(run())): string | null => {
  const found = configFromRead(stdout, manifest);
  return 'mismatch' in found ? found.mismatch : null;
};

const facts: KnownFacts = {
  'nginx.binary': 'nginx',
  'nginx.args': ARGS,
  'nginx.masterPid': 23958,
  processes: [{ pid: 23958, ppid: 1, user: 'root', args: 'nginx: master process nginx -p /tmp/h17t/cfg/ -c nginx.conf' }],
};

describe('configFromRead: is what was read what nginx -T prints?', () => {
  it('the real read: yes, and its files parse to what parseDump() makes of the same text', () => {
    expect(mismatch(STDOUT)).toBeNull();
    expect(configFromRead(STDOUT, manifestOf(run()))).toEqual({ config: parseDump(STDOUT) });
  });

  it('text whose sizes do not hold (a recording, secrets redacted): the headers split it, as nginx -T text', () => {
    const redacted = STDOUT.replace('proxy_set_header Host $host;', 'proxy_set_header Host [redacted];');
    expect(mismatch(redacted)).toBeNull();
    expect(configFromRead(redacted, manifestOf(run()))).toEqual({ config: parseDump(redacted) });
  });

  it('a glob the reader did not expand: no', () => {
    const manifest = manifestOf(run());
    const globs = new Map(manifest.globs);
    globs.delete('/tmp/h17t/cfg/conf.d/*.conf');
    expect(mismatch(STDOUT, { ...manifest, globs })).toMatch(/conf\.d\/\*\.conf\) was not expanded/);
  });

  it('the box sorting a glob otherwise than the order read: no', () => {
    const manifest = manifestOf(run());
    const globs = new Map(manifest.globs);
    globs.set('/tmp/h17t/cfg/conf.d/*.conf', ['/tmp/h17t/cfg/conf.d/_c.conf', '/tmp/h17t/cfg/conf.d/B.conf', '/tmp/h17t/cfg/conf.d/a.conf']);
    expect(mismatch(STDOUT, { ...manifest, globs })).toMatch(/nginx would open \/tmp\/h17t\/cfg\/conf\.d\/_c\.conf where the reader read \/tmp\/h17t\/cfg\/conf\.d\/B\.conf/);
  });

  it('a header of a file no include names, after the last file: a comment in it, as in nginx -T text', () => {
    const longer = `${STDOUT}# configuration file /tmp/x:\n\n`;
    expect(configFromRead(longer, manifestOf(run()))).toEqual({ config: parseDump(longer) });
  });
});

describe('judgeReadAhead: a read judged ahead of the check (while the box checks a kept read)', () => {
  it('judges as configFromRead() does, and once kept, is what configFromRead() then gives for the same text and manifest', async () => {
    const judged = await judgeReadAhead(STDOUT, manifestOf(run()), () => true);
    expect(judged).toEqual({ found: { config: parseDump(STDOUT) }, digested: false });
    const found = judged!.found;
    keepJudgedRead(STDOUT, manifestOf(run()), found);
    // A copy of the text: the check's result is another string with the same characters.
    const stdout = `${STDOUT} `.slice(0, -1);
    expect(configFromRead(stdout, manifestOf(run(stdout)))).toBe(found);
  });

  it('is not taken for another manifest of the same text: that is judged on its own', async () => {
    const manifest = manifestOf(run());
    keepJudgedRead(STDOUT, manifest, (await judgeReadAhead(STDOUT, manifest, () => true))!.found);
    const globs = new Map(manifest.globs);
    globs.delete('/tmp/h17t/cfg/conf.d/*.conf');
    expect(mismatch(STDOUT, { ...manifest, globs })).toMatch(/was not expanded/);
  });

  it('stops with nothing once the read is no longer wanted, and leaves unframed text to the check', async () => {
    // 1 MB: the parse gives the event loop a turn (and asks whether it is still wanted) several times.
    const files = Array.from({ length: 100 }, (_, i) => ({ file: `/x/site${String(i).padStart(3, '0')}.conf`, text: `server { listen 80; server_name s${i}; ${'#'.repeat(10_000)}\n}` }));
    const main = { file: '/x/nginx.conf', text: 'http { include /x/site*.conf; }' };
    const all = [main, ...files];
    const stdout = all.map((f) => `# configuration file ${f.file}:\n${f.text}\n`).join('');
    const manifest: ReadManifest = { files: all.map((f) => ({ file: f.file, size: f.text.length })), globs: new Map([['/x/site*.conf', files.map((f) => f.file)]]) };
    let asked = 0;
    const stopped = await judgeReadAhead(stdout, manifest, () => {
      asked++;
      return false;
    });
    expect([stopped, asked]).toEqual([null, 1]);
    const whole = (await judgeReadAhead(stdout, manifest, () => true))?.found;
    expect(whole).toEqual(configFromRead(stdout, manifest));
    expect(whole && 'config' in whole && whole.config.files).toHaveLength(101);
    expect(await judgeReadAhead(stdout.replace('server_name s1;', 'server_name s01;'), manifest, () => true)).toBeNull();
  });
});

describe('nginx.config with the reader', () => {
  it('takes the read config when it is sure, and asks nothing more', () => {
    expect(nginxConfig.plan(facts, [])).toEqual([NGINX_PROBE]);
    expect(nginxConfig.plan(facts, [{ ...run(), argv: NGINX_PROBE.argv, stdout: '' }])).toEqual([configReadCommand('nginx', 23958, ARGS)]);
    expect(nginxConfig.plan(facts, [run()])).toEqual([]);
    const result = nginxConfig.interpret(facts, [run()]);
    expect(result.outcome).toBe('valid');
    expect(result.facts['nginx.config']).toEqual(parseDump(STDOUT));
    expect(result.evidence[0]?.lines[0]).toBe('read from the files nginx loaded (unchanged since it loaded them), as nginx -p /tmp/h17t/cfg/ -c nginx.conf -T prints them');
  });

  it('not this: a read it cannot vouch for asks nginx -T, and says why it used it', () => {
    const shaky = run(STDOUT.replace('include conf.d/*.conf;', 'include conf.d/*.cnf; '));
    expect(nginxConfig.plan(facts, [shaky])).toEqual([{ argv: ['nginx', ...ARGS, '-T'], timeoutMs: 20_000 }]);
    const dumped: CommandResult = { argv: ['nginx', ...ARGS, '-T'], stdout: STDOUT, stderr: '', code: 0, ms: 30 };
    const result = nginxConfig.interpret(facts, [shaky, dumped]);
    expect(result.outcome).toBe('valid');
    expect(result.evidence[0]?.lines[0]).toMatch(/^nginx -T, as what was read may differ from it: /);
  });
});
