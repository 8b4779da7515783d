import { describe, expect, it } from 'vitest';
import { backendCrash } from '../../../src/checks/backend-crash.js';
import type { KnownFacts, UpstreamError } from '../../../src/facts/keys.js';
import type { CommandResult } from '../../../src/hosts/host.js';
import { fdListCommand } from '../../../src/system/backend-logs.js';
import { serviceDefsCommand } from '../../../src/system/service-defs.js';
import { ranWith, run, text } from './closed-fixture.js';

function facts(target: string, time: string): KnownFacts {
  return {
    'upstream.target': target,
    'upstream.kind': 'tcp',
    'upstream.host': '127.0.0.1',
    'upstream.port': Number(target.split(':')[1]),
    'error.latest': { time, level: 'error', errno: 104, kind: 'reset', message: 'recv() failed (104: Connection reset by peer)', upstream: `http://${target}/`, line: '' } as UpstreamError,
    'nginx.masterPid': 32149,
  };
}

/** What the box answered to the check's first batch: ss, ps, date, dmesg and uptime, as captured together. */
function firstBatch(f: KnownFacts): CommandResult[] {
  const stdout: Record<string, string> = { ss: text('ss-lab.txt'), ps: text('ps-ages-lab.txt'), date: text('date.txt'), dmesg: text('dmesg-segfaults.txt'), cat: text('uptime.txt') };
  return backendCrash.plan(f, []).map((c) => ranWith(c.argv, stdout[c.argv[0]!]!));
}

/** Drives plan() to the end as the runner does, answering each command from the fixtures given. */
function walk(f: KnownFacts, fd: string, logs: Record<string, string>): CommandResult[] {
  const done = firstBatch(f);
  for (let round = 0; round < 4; round++) {
    const batch = backendCrash.plan(f, done);
    if (!batch.length) break;
    for (const c of batch) {
      if (c.argv[0] === 'find') done.push({ ...run(fd), argv: c.argv });
      else if (c.argv[0] === 'tail') done.push(ranWith(c.argv, logs[c.argv.at(-1)!] ?? '', c.argv.at(-1)! in logs ? 0 : 1));
      else done.push(ranWith(c.argv, '0::/\n'));
    }
  }
  return done;
}

describe('backend.crash', () => {
  it('asks for the open files of the main process only, then tails the logs it finds', () => {
    const f = facts('127.0.0.1:38490', '2026/11/21 13:24:52');
    const done = firstBatch(f);
    // With the service definitions that name the port: they name its logs also while it is down.
    expect(backendCrash.plan(f, done).map((c) => c.argv)).toEqual([fdListCommand(31560), ['cat', '--', '/proc/31560/cgroup'], serviceDefsCommand({ kind: 'tcp', port: 38490 })]);
    done.push({ ...run('fd-php-fpm-master'), argv: fdListCommand(31560) }, ranWith(['cat', '--', '/proc/31560/cgroup'], '0::/\n'));
    expect(backendCrash.plan(f, done).map((c) => c.argv.at(-1))).toEqual(['/tmp/cc/fpm/php-fpm.log', '/tmp/cc/fpm/stdout.log']);
  });

  it('php-fpm: a child killed by SIGKILL at the time of the error', () => {
    const f = facts('127.0.0.1:38490', '2026/11/21 13:24:52');
    const result = backendCrash.interpret(f, walk(f, 'fd-php-fpm-master', { '/tmp/cc/fpm/php-fpm.log': text('php-fpm-kill-segv.log'), '/tmp/cc/fpm/stdout.log': '' }));
    expect(result.outcome).toBe('crashed');
    expect(result.facts['crash.summary']).toBe(
      "php-fpm8.2's log /tmp/cc/fpm/php-fpm.log says: [21-Nov-2026 13:24:52] WARNING: [pool www] child 3889 exited on signal 9 (SIGKILL) after 307.154133 seconds from start",
    );
    expect(result.facts['crash.logs']).toEqual(['/tmp/cc/fpm/php-fpm.log', '/tmp/cc/fpm/stdout.log']);
    expect(result.facts['backend.process']).toBe('php-fpm8.2');
    // The kills of 13:19 are more than two minutes older: not this error's.
    expect(result.facts['crash.lines']).toHaveLength(1);
  });

  it('python: the worker died of SIGSEGV; the fault handler names the frame', () => {
    const f = facts('127.0.0.1:38485', '2026/11/21 13:24:53');
    const result = backendCrash.interpret(f, walk(f, 'fd-python-supervisor', { '/tmp/cc/crash.log': text('python-supervisor-segfault.log') }));
    expect(result.outcome).toBe('crashed');
    expect(result.facts['crash.summary']).toMatch(/died on signal 11 \(SIGSEGV\)/);
    expect(result.facts['crash.lines']).toContain('Fatal Python error: Segmentation fault');
    expect(JSON.stringify(result.evidence)).toContain('pid 6062 (main) started 7 min ago');
    // dmesg names a python3 segfault three minutes later: another program, outside the window.
    expect(JSON.stringify(result.evidence)).not.toContain('segfault at 0');
  });

  it('not this: php-fpm children recycled and a graceful reload are no crash', () => {
    const f = facts('127.0.0.1:38491', '2026/11/21 13:27:39');
    const result = backendCrash.interpret(f, walk(f, 'fd-php-fpm-recycling-master', { '/tmp/cc/fpm2/php-fpm.log': text('php-fpm-recycle-reload.log'), '/tmp/cc/fpm2/stdout.log': '' }));
    expect(result.outcome).toBe('no-sign');
    expect(result.summary).toBe("php-fpm8.2's logs show no crash around the time of the error");
  });

  it('a main process younger than the error was restarted, even when its log says nothing', () => {
    const f = facts('127.0.0.1:38491', '2026/11/21 13:27:00');
    const result = backendCrash.interpret(f, walk(f, 'fd-php-fpm-recycling-master', { '/tmp/cc/fpm2/php-fpm.log': text('php-fpm-recycle-reload.log'), '/tmp/cc/fpm2/stdout.log': '' }));
    expect(result.outcome).toBe('crashed');
    expect(result.facts['crash.summary']).toBe("php-fpm8.2 (pid 2204) started 37 s ago, after nginx's error: it was restarted");
  });

  it('not this: nothing of this box listens there', () => {
    const f = facts('127.0.0.1:38499', '2026/11/21 13:27:39');
    const done = firstBatch(f);
    // Only the definitions that would name its log are asked; none does here.
    const defs = serviceDefsCommand({ kind: 'tcp', port: 38499 });
    expect(backendCrash.plan(f, done).map((c) => c.argv)).toEqual([defs]);
    done.push(ranWith(defs, ''));
    expect(backendCrash.plan(f, done)).toEqual([]);
    const result = backendCrash.interpret(f, done);
    expect(result.outcome).toBe('no-sign');
    expect(result.evidence[0]!.lines).toEqual(['no process of this box listens at 127.0.0.1:38499']);
  });
});
