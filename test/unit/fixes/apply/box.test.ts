import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Box } from '../../../../src/fixes/apply/box.js';
import type { CommandSpec, Host } from '../../../../src/hosts/host.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/apply/${name}`, import.meta.url), 'utf8');

function hostSaying(stdout: string, code = 0, ran: CommandSpec[] = []): Host {
  return { label: 'web1', run: async (spec) => (ran.push(spec), { argv: spec.argv, stdout, stderr: code ? 'cp: cannot stat' : '', code, ms: 1 }), close: async () => {} };
}

describe('file operations on the box, through its host', () => {
  it('reads the checksum sha256sum prints, also for a name it had to escape', async () => {
    expect(await new Box(hostSaying(fixture('sha256sum-plain.txt'))).sha256('/x')).toBe('2ee0e738cd711d66a66d4ecea49fc58d4cff3118a5fef54a7c67efbb6e2aa8f3');
    expect(await new Box(hostSaying(fixture('sha256sum-newline-name.txt'))).sha256('/x')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('writes contents on stdin (never in the command), values after --', async () => {
    const ran: CommandSpec[] = [];
    const box = new Box(hostSaying('', 0, ran));
    await box.append('/s/journal.jsonl', '{"a":"$(id)"}');
    expect(ran[0]).toMatchObject({ argv: ['tee', '-a', '--', '/s/journal.jsonl'], stdin: '{"a":"$(id)"}\n' });
    await box.swap([
      ['/s/c1', '/etc/a'],
      ['/s/c2', '/etc/b'],
    ]);
    expect(ran[1]?.argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(ran[1]?.argv.slice(3)).toEqual(['sh', '/s/c1', '/etc/a', '/s/c2', '/etc/b']);
    await box.swap([['/s/c1', '/etc/a']]);
    expect(ran[2]?.argv).toEqual(['mv', '-f', '-T', '--', '/s/c1', '/etc/a']);
  });

  it('not this: a failed command is an error that names it and what the box said', async () => {
    await expect(new Box(hostSaying('', 1)).copy('/a', '/b')).rejects.toThrow('copying /a to /b failed (cp --preserve=all -- /a /b): cp: cannot stat');
  });
});
