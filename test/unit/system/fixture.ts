import { readFileSync, readdirSync } from 'node:fs';

const DIR = new URL('../../fixtures/system/', import.meta.url);

/** A fixture captured on a real box (see test/fixtures/system/README.md). */
export function fixture(name: string): string {
  return readFileSync(new URL(name, DIR), 'utf8');
}

export interface Captured {
  argv: string[];
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  note: string;
}

export function captured(name: string): Captured {
  return JSON.parse(fixture(`${name}.json`)) as Captured;
}

export function fixtureNames(prefix: string): string[] {
  return readdirSync(DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length));
}
