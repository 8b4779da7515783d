import { readFileSync, readdirSync } from 'node:fs';
import type { CommandResult } from '../../../src/hosts/host.js';

const DIR = new URL('../../fixtures/network/', import.meta.url);

/** One real run captured for these tests (see test/fixtures/network/README.md), as a host hands it back. */
export function run(name: string): CommandResult & { note: string; stdin?: string } {
  return JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as CommandResult & { note: string; stdin?: string };
}

export function names(prefix: string): string[] {
  return readdirSync(DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** The same run as the check asked for it: a host outside a namespace never prefixes `ip netns exec`. */
export function asAsked(name: string): CommandResult {
  const r = run(name);
  const argv = r.argv[0] === 'ip' && r.argv[1] === 'netns' && r.argv[2] === 'exec' ? r.argv.slice(4) : r.argv;
  return { argv, stdout: r.stdout, stderr: r.stderr, code: r.code, ms: r.ms };
}
