import { describe, expect, it } from 'vitest';
import type { Check } from '../../../src/checks/check.js';
import { singleHost } from '../../../src/hosts/host-set.js';
import type { CommandResult, CommandSpec, Host } from '../../../src/hosts/host.js';
import { runAhead, runCheck } from '../../../src/runner/run-check.js';

/** A box that answers each command when told to, and counts what it was asked. */
class SlowBox implements Host {
  readonly label = 'web';
  readonly asked: string[] = [];
  private readonly waiting: (() => void)[] = [];

  run(command: CommandSpec): Promise<CommandResult> {
    this.asked.push(command.argv.join(' '));
    const result = { argv: command.argv, stdout: command.argv.join(' '), stderr: '', code: 0, ms: 1 };
    if (command.argv[0] === 'ip') return Promise.resolve({ ...result, stdout: '' });
    return new Promise((resolve) => this.waiting.push(() => resolve(result)));
  }

  /** Answers everything asked so far; returns how many. */
  answer(): number {
    const all = this.waiting.splice(0);
    for (const settle of all) settle();
    return all.length;
  }

  async close(): Promise<void> {}
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Three rounds, each asking what the one before named (a config file, then the files it includes). */
const chained: Check = {
  id: 'chained',
  guide: 'error-log',
  outcomes: ['read'],
  needs: [],
  learns: [],
  early: 'every-round',
  plan: (_facts, done) => (done.length === 0 ? [{ argv: ['cat', 'main.conf'] }] : done.length === 1 ? [{ argv: ['cat', 'pool.d'] }] : done.length === 2 ? [{ argv: ['cat', 'www.conf'] }] : []),
  interpret: (_facts, results) => ({ outcome: 'read', facts: {}, evidence: [], summary: results.map((r) => r.stdout).join(', ') }),
};

describe('the look-ahead follows a check round after round', () => {
  it('runs each round once the one before answered; the step then finds every round in the cache', async () => {
    const box = new SlowBox();
    const hosts = singleHost(box);
    runAhead({ commands: [], chains: [{ check: chained, onBackend: false }] }, {}, hosts);
    for (let round = 0; round < 3; round++) {
      await tick();
      expect(box.answer()).toBe(1);
    }
    await tick();
    const run = await runCheck(chained, {}, hosts);
    expect(run.result.summary).toBe('cat main.conf, cat pool.d, cat www.conf');
    expect(box.asked.filter((a) => a.startsWith('cat'))).toEqual(['cat main.conf', 'cat pool.d', 'cat www.conf']);
  });

  it('a step that starts while the look-ahead is between rounds joins its runs instead of asking twice', async () => {
    const box = new SlowBox();
    const hosts = singleHost(box);
    runAhead({ commands: [], chains: [{ check: chained, onBackend: false }] }, {}, hosts);
    await tick();
    const step = runCheck(chained, {}, hosts);
    for (let round = 0; round < 3; round++) {
      await tick();
      box.answer();
    }
    expect((await step).result.summary).toBe('cat main.conf, cat pool.d, cat www.conf');
    expect(box.asked.filter((a) => a.startsWith('cat'))).toEqual(['cat main.conf', 'cat pool.d', 'cat www.conf']);
  });
});
