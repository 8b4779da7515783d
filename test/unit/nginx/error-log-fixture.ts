import { readdirSync, readFileSync } from 'node:fs';

const dir = new URL('../../fixtures/error-log/', import.meta.url);

/** A real error.log capture from test/fixtures/error-log/. */
export const fixture = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
export const fixtureNames = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.log'));
