import { afterEach } from 'vitest';
import { runCli } from './badgateway.js';
import { sshClient } from './ssh-client.js';
import { startSshd } from './sshd.js';
import type { Stack } from './stacks.js';

/**
 * For a stack test file over --ssh: the box's own sshd (started inside it, its host key trusted by a client
 * of this test), and badgateway run from outside the box in the box's network only, so everything it learns
 * of the box comes over SSH. One sshd per box; everything is removed after each test.
 */
export function sshScope() {
  const cleanups: (() => Promise<void> | void)[] = [];
  const sessions = new Map<Stack, Promise<{ port: number; env: NodeJS.ProcessEnv }>>();
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    sessions.clear();
  });

  async function sshInto(stack: Stack) {
    const box = { name: 'box', exec: stack.box.exec, run: (argv: string[]) => stack.box.run(argv), remove: () => {} };
    const server = await startSshd({ netns: box });
    cleanups.push(
      () => server.remove(),
      () => server.stop(),
    );
    const client = sshClient();
    cleanups.push(() => client.remove());
    server.authorize('root', client.key.publicKey);
    client.trust(server);
    return { port: server.port, env: client.env };
  }

  return {
    /** badgateway --json ARGS --ssh root@(the box's sshd), from outside the box; its report parsed. */
    async overSsh(stack: Stack, args: string[]) {
      if (!sessions.has(stack)) sessions.set(stack, sshInto(stack));
      const { port, env } = await (sessions.get(stack) as Promise<{ port: number; env: NodeJS.ProcessEnv }>);
      const run = await runCli(['--json', ...args, '--ssh', `root@127.0.0.1:${port}`], { wrap: stack.box.netExec, env, timeoutMs: 90_000 });
      try {
        return { ...run, report: JSON.parse(run.stdout) };
      } catch {
        throw new Error(`no JSON (exit ${run.code}): ${run.stderr}`);
      }
    },
  };
}
