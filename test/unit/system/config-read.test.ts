import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CommandResult } from '../../../src/hosts/host.js';
import { configReadCommand, flagValue, isConfigRead, parseConfigRead } from '../../../src/system/config-read.js';
import { CONFIG_READ_SCRIPT } from '../../../src/system/config-read-script.js';

// Real output of the reader on nginx 1.22.1: see test/fixtures/config-read/README.md.
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/config-read/${name}`, import.meta.url), 'utf8');
const ARGS = ['-p', '/tmp/h17t/cfg/', '-c', 'nginx.conf'];
const run = (stdout: string, stderr: string, code = 0): CommandResult => ({ argv: configReadCommand('nginx', 23958, ARGS).argv, stdout, stderr, code, ms: 20 });

describe('configReadCommand', () => {
  it('passes the binary, the PID and the -p/-c values as arguments after the script, then the master arguments', () => {
    expect(configReadCommand('/usr/sbin/nginx', 42, ARGS)).toEqual({
      argv: ['sh', '-c', CONFIG_READ_SCRIPT, 'sh', '/usr/sbin/nginx', '42', '/tmp/h17t/cfg/', 'nginx.conf', ...ARGS],
      timeoutMs: 20_000,
    });
    expect(isConfigRead(configReadCommand('nginx', 1, []).argv)).toBe(true);
    expect(isConfigRead(['nginx', '-T'])).toBe(false);
  });

  it('flagValue: -c FILE and -cFILE, the last one, never a -g value', () => {
    expect(flagValue(['-p', '/srv/nginx/', '-c', 'conf/a.conf', '-g', 'daemon off;'], 'c')).toBe('conf/a.conf');
    expect(flagValue(['-c/etc/nginx/x.conf'], 'c')).toBe('/etc/nginx/x.conf');
    expect(flagValue(['-c', 'a.conf', '-c', 'b.conf'], 'c')).toBe('b.conf');
    expect(flagValue(['-g', '-c x'], 'c')).toBe('');
    expect(flagValue(['-g', 'daemon off;'], 'p')).toBe('');
  });

  it('is a script sh accepts (sh -n)', () => {
    expect(() => execFileSync('sh', ['-n', '-c', CONFIG_READ_SCRIPT])).not.toThrow();
  });
});

describe('parseConfigRead on real output', () => {
  it('the files in the order read, with their sizes; each glob with its matches in the order the box sorted them', () => {
    const read = parseConfigRead(run(fixture('read.stdout'), fixture('read.stderr')));
    if (read.kind !== 'read') throw new Error(`not read: ${JSON.stringify(read)}`);
    expect(read.files.map((f) => f.file)).toEqual([
      '/tmp/h17t/cfg/nginx.conf',
      '/tmp/h17t/cfg/conf.d/B.conf',
      '/tmp/h17t/cfg/conf.d/_c.conf',
      '/tmp/h17t/cfg/conf.d/a.conf',
      '/tmp/h17t/cfg/snippets/map.conf',
      '/tmp/h17t/cfg/sites-enabled/one',
      '/tmp/h17t/cfg/snippets/common.conf',
      '/tmp/h17t/cfg/sites-enabled/two',
      '/tmp/h17t/cfg/../cfg/snippets/common.conf',
    ]);
    expect(read.files[0]?.size).toBe(342);
    expect([...read.globs.keys()]).toEqual(['/tmp/h17t/cfg/conf.d/*.conf', '/tmp/h17t/cfg/sites-enabled/*']);
    expect(read.globs.get('/tmp/h17t/cfg/sites-enabled/*')).toEqual(['/tmp/h17t/cfg/sites-enabled/one', '/tmp/h17t/cfg/sites-enabled/two']);
    expect(read.loadedAt).toBeCloseTo(1796550414.583, 3);
  });

  it('the same answer in two results is read once; another answer, or the same text failing, is read on its own', () => {
    const stderr = fixture('read.stderr');
    const first = parseConfigRead(run(fixture('read.stdout'), stderr));
    expect(parseConfigRead(run('', `${stderr} `.slice(0, -1)))).toBe(first);
    const failed = parseConfigRead(run('', stderr, 1));
    expect(failed.kind).toBe('failed');
    const other = parseConfigRead(run('', stderr.replace('/tmp/h17t/cfg/sites-enabled/two', '/tmp/h17t/cfg/sites-enabled/three')));
    expect(other.kind === 'read' && other.files.map((f) => f.file)).toContain('/tmp/h17t/cfg/sites-enabled/three');
  });

  it('a glob that matched nothing is listed with no match', () => {
    const read = parseConfigRead(run('', 'file\t1.5\t3\t/c/nginx.conf\nglob\t/c/modules-enabled/*.conf\nloaded\t2.0\n'));
    expect(read.kind === 'read' && [...read.globs]).toEqual([['/c/modules-enabled/*.conf', []]]);
  });

  it('when it ran nginx -T itself, says so and why: the output is nginx -T own', () => {
    const stderr = 'badgateway: config-read: nginx -T: the files changed since nginx loaded them\nnginx: the configuration file /tmp/h17t/cfg/nginx.conf syntax is ok\n';
    expect(parseConfigRead(run('# configuration file /x:\n', stderr))).toEqual({ kind: 'dumped', reason: 'the files changed since nginx loaded them' });
  });

  it('not this: a failed run without that line is a failure (no shell, killed), never a config', () => {
    expect(parseConfigRead(run('', 'sh: 1: awk: not found\n', 127))).toEqual({ kind: 'failed', reason: 'sh: 1: awk: not found' });
    expect(parseConfigRead(run('', ''))).toEqual({ kind: 'failed', reason: 'the reader listed no file' });
  });
});
