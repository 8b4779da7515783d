import { readFileSync } from 'node:fs';

const DIR = new URL('../../../fixtures/ssh/', import.meta.url);

/** Real ssh-keyscan / ssh-keygen / sudo output (see test/fixtures/ssh/README.md). */
export function fixture(name: string): string {
  return readFileSync(new URL(name, DIR), 'utf8');
}

export interface CapturedRun {
  argv: string[];
  command: string;
  stdout: string;
  stderr: string;
  code: number | null;
  failure?: string;
  note: string;
}

export function run(name: string): CapturedRun {
  return JSON.parse(fixture(`${name}.json`)) as CapturedRun;
}

export const PORTS = JSON.parse(fixture('ports.json')) as { a: number; b: number };

/** The key blob of the line of `type` in a keyscan / known_hosts text. */
export function keyBlob(text: string, type: string): Buffer {
  const line = text.split('\n').find((l) => l.split(/\s+/)[1] === type);
  if (!line) throw new Error(`no ${type} line`);
  return Buffer.from(line.split(/\s+/)[2] as string, 'base64');
}
