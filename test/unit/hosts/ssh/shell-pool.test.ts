import { describe, expect, it } from 'vitest';
import type { BatchCommand, FramedResult } from '../../../../src/hosts/ssh/batch-script.js';
import type { RemoteShell, ShellAnswer } from '../../../../src/hosts/ssh/remote-shell.js';
import { ShellPool } from '../../../../src/hosts/ssh/shell-pool.js';

/** A remote shell that answers each batch when told to, and records the batches it got. */
class FakeShell {
  readonly batches: string[][] = [];
  private pending: { commands: readonly BatchCommand[]; settle: (answer: ShellAnswer) => void; each?: (i: number, r: FramedResult) => void } | undefined;
  alive = true;

  get idle(): boolean {
    return this.alive && !this.pending;
  }

  run(commands: readonly BatchCommand[], _timeoutMs: number, each?: (i: number, r: FramedResult) => void): Promise<ShellAnswer> {
    this.batches.push(commands.map((c) => c.argv.join(' ')));
    return new Promise((settle) => {
      this.pending = { commands, settle, ...(each ? { each } : {}) };
    });
  }

  answer(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    const results = pending.commands.map((c) => ({ code: 0, stdout: c.argv.join(' '), stderr: '' }));
    results.forEach((r, i) => pending.each?.(i, r));
    pending.settle({ results });
  }

  close(): void {
    this.alive = false;
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const asShell = (fake: FakeShell) => fake as unknown as RemoteShell;

describe('the shell pool: batches on long-lived shells', () => {
  it("a look-ahead command still waiting for the look-ahead's shell leaves with the step's batch once a step needs it", async () => {
    const first = new FakeShell();
    // The look-ahead's shell is still logging in.
    const pool = new ShellPool(() => new Promise(() => {}), 2, asShell(first));
    const ahead = pool.run({ argv: ['ss', '-Hltnxp'] }, 5000, undefined, true);
    const other = pool.run({ argv: ['ls', '/etc/init.d'] }, 5000, undefined, true);
    await tick();
    expect(first.batches).toEqual([]);
    pool.promote({ argv: ['ss', '-Hltnxp'] });
    const own = pool.run({ argv: ['cat', 'x'] }, 5000);
    await tick();
    expect(first.batches).toEqual([['ss -Hltnxp', 'cat x']]);
    first.answer();
    expect((await ahead).stdout).toBe('ss -Hltnxp');
    expect((await own).stdout).toBe('cat x');
    // The one no step asked for still waits for its own shell.
    await tick();
    expect(first.batches).toHaveLength(1);
    void pool.close();
    expect((await other).failure).toBe('shell-unavailable');
  });

  it('a shell that opened before the pool (beside the login) is the look-ahead shell once it is there', async () => {
    const first = new FakeShell();
    const second = new FakeShell();
    let opened: (shell: RemoteShell) => void = () => {};
    const pool = new ShellPool(() => Promise.resolve({ failure: 'not asked' }), 2, asShell(first));
    pool.adopt(
      new Promise((resolve) => {
        opened = resolve;
      }),
    );
    const ahead = pool.run({ argv: ['stat', '/run/app.sock'] }, 5000, undefined, true);
    await tick();
    opened(asShell(second));
    await tick();
    await tick();
    expect(second.batches).toEqual([['stat /run/app.sock']]);
    expect(first.batches).toEqual([]);
    second.answer();
    expect((await ahead).stdout).toBe('stat /run/app.sock');
    void pool.close();
  });

  it('a look-ahead batch never waits behind a slow one: it takes another idle shell, or opens one while there is room', async () => {
    const [first, second, third] = [new FakeShell(), new FakeShell(), new FakeShell()];
    const opens: FakeShell[] = [second, third];
    let opened = 0;
    const pool = new ShellPool(
      () => {
        opened++;
        const next = opens.shift();
        return Promise.resolve(next ? asShell(next) : { failure: 'no more channels' });
      },
      3,
      asShell(first),
    );
    const slow = pool.run({ argv: ['systemctl', 'list-unit-files'] }, 5000, undefined, true);
    await tick();
    await tick();
    expect(second.batches).toEqual([['systemctl list-unit-files']]);
    // The second shell is still busy: the next look-ahead batch opens the third and goes there.
    const next = pool.run({ argv: ['ps', '-eo', 'pid='] }, 5000, undefined, true);
    await tick();
    await tick();
    expect(third.batches).toEqual([['ps -eo pid=']]);
    third.answer();
    expect((await next).stdout).toBe('ps -eo pid=');
    // Both look-ahead shells have had a batch and the pool is full: a third batch waits for whichever is idle first.
    const later = pool.run({ argv: ['dmesg'] }, 5000, undefined, true);
    await tick();
    await tick();
    expect(third.batches).toEqual([['ps -eo pid='], ['dmesg']]);
    expect(first.batches).toEqual([]);
    expect(opened).toBe(2);
    second.answer();
    third.answer();
    expect((await slow).stdout).toBe('systemctl list-unit-files');
    expect((await later).stdout).toBe('dmesg');
    void pool.close();
  });
});
