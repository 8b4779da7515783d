import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nginxConfig } from '../../../src/checks/nginx-config.js';
import { nginxFind } from '../../../src/checks/nginx-find.js';
import type { KnownFacts } from '../../../src/facts/keys.js';
import type { CommandResult } from '../../../src/hosts/host.js';
import { NGINX_PROBE, parseProbe, probeFor, probeOfSections } from '../../../src/system/nginx-probe.js';

// Real output of NGINX_PROBE on nginx 1.22.1 (one master, in a PID namespace of its own, so PID 4): see
// test/fixtures/config-read/README.md. probe-changed: the same after a file was touched.
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/config-read/${name}`, import.meta.url), 'utf8');
const probe = (name = 'probe.stdout'): CommandResult => ({ argv: NGINX_PROBE.argv, stdout: fixture(name), stderr: '', code: 0, ms: 30 });
const ARGS = ['-p', '/tmp/h17one/', '-c', '/tmp/h17one/nginx.conf'];
const MASTER = { pid: 4, binary: 'nginx', args: ARGS };

const facts: KnownFacts = {
  'nginx.binary': 'nginx',
  'nginx.args': ARGS,
  'nginx.masterPid': 4,
  processes: [{ pid: 4, ppid: 1, user: 'root', args: 'nginx: master process nginx -p /tmp/h17one/ -c /tmp/h17one/nginx.conf' }],
};

describe('the login probe', () => {
  it('frames one master: its PID, binary, -p and -c, nginx -V, its cgroup and the config read', () => {
    const [master, ...more] = parseProbe(probe());
    expect(more).toEqual([]);
    expect(master).toMatchObject({ pid: 4, binary: 'nginx', prefix: '/tmp/h17one/', conf: '/tmp/h17one/nginx.conf', readDone: true });
    expect(master?.version.stderr).toMatch(/^nginx version: nginx\/1\.22\.1\n/);
    expect(master?.cgroup.stdout).toContain('0::/');
    expect(master?.read(ARGS).stdout).toMatch(/^# configuration file \/tmp\/h17one\/nginx\.conf:\n/);
  });

  it('made of its sections (a kept read), it prints the same text as the box and is read the same', () => {
    const sections = [...fixture('probe.stdout').matchAll(/@@bgw-probe (\w+)\n([\s\S]*?)\n@@bgw-probe-end \1\n/g)].map((m) => ({ name: m[1]!, text: m[2]! }));
    expect(sections.map((s) => s.name)).toEqual(['meta', 'version', 'cgroup', 'out', 'err', 'code']);
    const made = probeOfSections({ ...probe(), stdout: '' }, sections);
    expect(made.stdout).toBe(fixture('probe.stdout'));
    const [master] = parseProbe(made);
    expect(master?.read(ARGS).stdout).toBe(sections[3]!.text);
    const fromSections = JSON.stringify(parseProbe({ ...made }));
    // Another probe parsed since: the box's text is read afresh, and says the same.
    expect(parseProbe(probe('probe-changed.stdout'))).toHaveLength(1);
    expect(JSON.stringify(parseProbe(probe()))).toBe(fromSections);
  });

  it('stands for this master only when it took the same PID, binary, -p and -c', () => {
    expect(probeFor(probe(), MASTER)?.pid).toBe(4);
    expect(probeFor(probe(), { ...MASTER, pid: 5 })).toBeNull();
    expect(probeFor(probe(), { ...MASTER, binary: '/usr/sbin/nginx' })).toBeNull();
    expect(probeFor(probe(), { ...MASTER, args: ['-c', '/tmp/h17one/nginx.conf'] })).toBeNull();
    expect(probeFor({ ...probe(), stdout: '' }, MASTER)).toBeNull();
  });

  it('nginx.find asks no second round when the probe took the master it picks', () => {
    const ps: CommandResult = {
      argv: ['ps'],
      stdout: '    4     1 root                             nginx: master process nginx -p /tmp/h17one/ -c /tmp/h17one/nginx.conf\n',
      stderr: '',
      code: 0,
      ms: 5,
    };
    const ss: CommandResult = { argv: ['ss'], stdout: '', stderr: '', code: 0, ms: 5 };
    expect(nginxFind.plan({}, [])).toContainEqual(NGINX_PROBE);
    expect(nginxFind.plan({}, [ps, ss, probe()])).toEqual([]);
    const found = nginxFind.interpret({}, [ps, ss, probe()]);
    expect(found.outcome).toBe('running');
    expect(found.facts['nginx.version']).toBe('1.22.1');
    expect(nginxFind.plan({}, [ps, ss, { ...probe(), stdout: '' }]).map((c) => c.argv[1])).toEqual(['-V', '/proc/4/cgroup', '-c']);
  });

  it('nginx.config takes its read from the probe, and asks nginx -T at once when the probe had to leave it', () => {
    expect(nginxConfig.plan(facts, [probe()])).toEqual([]);
    const result = nginxConfig.interpret(facts, [probe()]);
    expect(result.outcome).toBe('valid');
    expect(result.evidence[0]?.lines[0]).toMatch(/^read from the files nginx loaded/);
    expect(nginxConfig.plan(facts, [probe('probe-changed.stdout')])).toEqual([{ argv: ['nginx', ...ARGS, '-T'], timeoutMs: 20_000 }]);
  });
});
