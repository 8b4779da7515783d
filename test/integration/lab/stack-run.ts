import { afterEach } from 'vitest';
import { runCli } from './badgateway.js';
import type { Stack } from './stacks.js';

/**
 * For a stack test file: the boxes a test started, removed after it; badgateway run inside a box with its
 * JSON report; and the path a report took, for assertion messages.
 */
export function stackScope() {
  const stacks: Stack[] = [];
  afterEach(async () => {
    for (const s of stacks.splice(0)) await s.box.remove();
  });
  return {
    /** Registers a started stack for removal after the test. */
    async use<S extends Stack>(started: Promise<S>): Promise<S> {
      const stack = await started;
      stacks.push(stack);
      return stack;
    },
    async inBox(stack: Stack, args: string[], env: NodeJS.ProcessEnv = {}) {
      const run = await runCli(args, { wrap: stack.box.exec, env: { ...process.env, ...env } });
      try {
        return { ...run, report: JSON.parse(run.stdout) };
      } catch {
        throw new Error(`no JSON (exit ${run.code}): ${run.stderr}`);
      }
    },
  };
}

/** node:outcome of each step, in order: a report's path, for an assertion's message. */
export const pathOf = (report: { steps: { node: string; outcome: string }[] }): string => report.steps.map((s) => `${s.node}:${s.outcome}`).join(' ');

/** Where apply keeps its journal and backups inside a box. */
export const BOX_STATE = { BADGATEWAY_STATE_DIR: '/run/badgateway-state' };
