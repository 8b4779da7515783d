import { readFileSync } from 'node:fs';
import type { CommandResult } from '../../../src/hosts/host.js';

const DIR = new URL('../../fixtures/closed/', import.meta.url);

/** A text fixture captured on a real box (see test/fixtures/closed/README.md). */
export function text(name: string): string {
  return readFileSync(new URL(name, DIR), 'utf8');
}

/** One real run, as a host hands it back. */
export function run(name: string): CommandResult & { note: string } {
  return JSON.parse(text(`${name}.json`)) as CommandResult & { note: string };
}

/** A command result made of a text fixture, for the command a check asked for. */
export function ranWith(argv: string[], stdout: string, code: number | null = 0): CommandResult {
  return { argv, stdout, stderr: '', code, ms: 1 };
}
