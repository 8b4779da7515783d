import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './lab/badgateway.js';
import { labScope } from './lab/scope.js';

/**
 * Hostile files and arguments against the built CLI (no nginx needed): each ends with its exit code and one
 * clean message on stderr, never a stack trace, a hang, unbounded memory or a file written in the wrong place.
 */
const lab = labScope();
const INCIDENT = fileURLToPath(new URL('../../incidents/account-page.json', import.meta.url));

/** One line, "badgateway: ...", and no stack frame. */
function cleanMessage(run: CliRun): string {
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr).not.toContain('unexpected error');
  const [first = ''] = run.stderr.split('\n');
  expect(first).toMatch(/^badgateway: \S/);
  return first;
}

/** The incident, edited, written as a recording file of the scratch folder. */
function recordingWith(dir: string, name: string, edit: (r: { hosts: { role: string; label: string }[]; commands: Record<string, unknown> }) => void): string {
  const recording = JSON.parse(readFileSync(INCIDENT, 'utf8'));
  edit(recording);
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(recording));
  return file;
}

describe('hostile recordings', () => {
  it('roles named __proto__, constructor or toString, or no proxy role: exit 2 naming the role, no stack', async () => {
    const dir = lab.scratchDir('bgw-hostile-');
    const cases: [string, string, RegExp][] = [];
    for (const role of ['__proto__', 'constructor', 'toString']) {
      cases.push([recordingWith(dir, `beside-${role}.json`, (r) => r.hosts.push({ role, label: 'x' })), role, /hosts\.1\.role: the role/]);
      cases.push([
        recordingWith(dir, `only-${role}.json`, (r) => {
          r.hosts = [{ role, label: 'local' }];
          r.commands = { [role]: r.commands.proxy };
        }),
        role,
        /cannot name a host/,
      ]);
    }
    const noProxy = recordingWith(dir, 'no-proxy.json', (r) => {
      r.hosts = [{ role: 'web', label: 'local' }];
      r.commands = { web: r.commands.proxy };
    });
    cases.push([noProxy, 'proxy', /no host has the role proxy/]);
    for (const [file, role, why] of cases) {
      const run = await runCli(['--json', '--replay', file]);
      expect(run.code, file).toBe(2);
      expect(run.stdout, file).toBe('');
      const message = cleanMessage(run);
      expect(message, file).toContain(`${file} is damaged`);
      expect(message, file).toContain(role);
      expect(message, file).toMatch(why);
    }
  });

  it('--replay /dev/zero and a 50 MB recording: refused by size at once, in bounded memory', async () => {
    const dir = lab.scratchDir('bgw-hostile-');
    const huge = join(dir, 'huge.json');
    const recording = JSON.parse(readFileSync(INCIDENT, 'utf8'));
    recording.notes = ['x'.repeat(50 * 1024 * 1024)];
    writeFileSync(huge, JSON.stringify(recording));
    for (const file of ['/dev/zero', huge]) {
      const started = performance.now();
      // GNU time reports the peak memory of the process it runs (kilobytes) on its last stderr line.
      const run = await runCli(['--json', '--replay', file], { wrap: (argv) => ['/usr/bin/time', '-f', 'maxrss=%M', ...argv], timeoutMs: 30_000 });
      expect(performance.now() - started, file).toBeLessThan(20_000);
      expect(run.code, file).toBe(2);
      const maxRssKb = Number(/maxrss=(\d+)/.exec(run.stderr)?.[1]);
      expect(maxRssKb, file).toBeLessThan(400 * 1024);
      expect(cleanMessage({ ...run, stderr: run.stderr.replace(/maxrss=\d+\n?$/, '') }), file).toBe(
        `badgateway: cannot read the recording ${file}: it is larger than 32 MiB, the most badgateway reads as the recording`,
      );
    }
  });
});

describe('hostile flow files', () => {
  it('a YAML alias bomb: refused within seconds, at its file and line, for --flow and for lint', async () => {
    const file = join(lab.scratchDir('bgw-hostile-'), 'bomb.yaml');
    const levels = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= 12; i++) levels.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    writeFileSync(file, `${levels.join('\n')}\nid: bomb\n`);
    for (const argv of [
      ['lint', file],
      ['--json', '--flow', file],
    ]) {
      const started = performance.now();
      const run = await runCli(argv, { timeoutMs: 30_000 });
      expect(performance.now() - started, argv[0]).toBeLessThan(10_000);
      expect(run.code, argv[0]).toBe(2);
      expect(run.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: YAML aliases here would expand to more than 100000 nodes`));
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('hostile command lines', () => {
  it('malformed --ssh and --host targets: exit 2 with the usage, before any connection', async () => {
    for (const target of ['@', 'root@', 'web1:99999', 'web1:0', 'a b', '-oProxyCommand=touch /tmp/bgw-owned', '[::1', 'user@host@']) {
      for (const argv of [
        ['--json', '--url', 'http://127.0.0.1:9/', '--ssh', target],
        ['--json', '--host', `proxy=${target}`],
        ['undo', '--json', '--ssh', target],
        ['route', '--json', '--url', 'http://127.0.0.1:9/', '--ssh', target],
      ]) {
        const run = await runCli(argv, { timeoutMs: 20_000 });
        expect(run.code, argv.join(' ')).toBe(2);
        expect(run.stdout, argv.join(' ')).toBe('');
        expect(cleanMessage(run), argv.join(' ')).toContain('is not an SSH target');
        expect(run.stderr).toContain('Usage:');
      }
    }
  });
});

describe('files written by --record and --report', () => {
  it('into a missing folder, or onto /dev/full or a folder: exit 2 before anything runs, naming the file', async () => {
    const dir = lab.scratchDir('bgw-hostile-');
    for (const [option, file, why] of [
      ['--report', join(dir, 'none', 'r.md'), `the folder ${join(dir, 'none')} does not exist`],
      ['--record', join(dir, 'none', 'r.json'), `the folder ${join(dir, 'none')} does not exist`],
      ['--report', '/dev/full', '/dev/full is not a regular file (a device, pipe or socket)'],
      ['--record', '/dev/full', '/dev/full is not a regular file (a device, pipe or socket)'],
      ['--report', dir, `${dir} is a folder`],
    ] as const) {
      const argv = option === '--report' ? ['--json', '--replay', INCIDENT, option, file] : ['--json', '--url', 'http://127.0.0.1:9/', option, file];
      const run = await runCli(argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stdout, argv.join(' ')).toBe('');
      expect(cleanMessage(run), argv.join(' ')).toBe(`badgateway: ${option} ${file} cannot be written: ${why}`);
    }
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  // The suite runs as root in a mount namespace of its own (see ARCHITECTURE.md, Tests): a small tmpfs of
  // our own fills up, or is read-only, when the report is written at the end.
  for (const [label, options] of [
    ['full (ENOSPC)', 'size=4k'],
    ['read-only (EROFS)', 'ro,size=64k'],
  ] as const) {
    it(`a folder that is ${label} when the report is written: the JSON is still printed, stderr says what was not written, exit 3`, async () => {
      const dir = lab.scratchDir('bgw-hostile-');
      execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'bgw-hostile', dir]);
      try {
        const file = join(dir, 'report.md');
        const run = await runCli(['--json', '--replay', INCIDENT, '--report', file]);
        expect(run.code).toBe(3);
        expect(JSON.parse(run.stdout)).toMatchObject({ diagnosis: { cause: expect.any(String) }, exitCode: 1 });
        const message = cleanMessage(run);
        expect(message).toMatch(new RegExp(`^badgateway: could not write the report ${file}: E(NOSPC|ROFS)\\b.*; the JSON report on stdout is complete$`));
        expect(readdirSync(dir)).toEqual([]);
      } finally {
        execFileSync('umount', [dir]);
      }
    });
  }

  it('a symbolic link at the target is replaced, not followed; an existing 0644 file ends 0600', async () => {
    const dir = lab.scratchDir('bgw-hostile-');
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'not yours\n');
    chmodSync(victim, 0o644);
    const report = join(dir, 'report.md');
    symlinkSync(victim, report);
    const recording = join(dir, 'recording.json');
    writeFileSync(recording, 'old\n');
    chmodSync(recording, 0o644);
    // --record needs a real session: one that cannot reach its URL is quick and still records.
    const replayed = await runCli(['--json', '--replay', INCIDENT, '--report', report]);
    expect(replayed.code).toBe(1);
    const recorded = await runCli(['--json', '--url', 'http://127.0.0.1:9/', '--record', recording]);
    expect([0, 1, 3]).toContain(recorded.code);
    expect(readFileSync(victim, 'utf8')).toBe('not yours\n');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    expect(lstatSync(report).isSymbolicLink()).toBe(false);
    expect(readFileSync(report, 'utf8')).toMatch(/^# /);
    for (const file of [report, recording]) expect(statSync(file).mode & 0o777, file).toBe(0o600);
    expect(JSON.parse(readFileSync(recording, 'utf8'))).toMatchObject({ format: 'badgateway-recording' });
    expect(readdirSync(dir).sort()).toEqual(['recording.json', 'report.md', 'victim.txt']);
  });
});
