import { describe, expect, it } from 'vitest';
import { LocalHost } from '../../../src/hosts/local.js';

describe('LocalHost', () => {
  it('runs argv as given, with no shell: exit codes, stdin, a missing program', async () => {
    const host = new LocalHost();
    expect(await host.run({ argv: ['sh', '-c', 'echo "$1"; exit 3', 'sh', '$(not run)'] })).toMatchObject({ code: 3, stdout: '$(not run)\n' });
    expect(await host.run({ argv: ['cat'], stdin: 'piped' })).toMatchObject({ code: 0, stdout: 'piped' });
    expect(await host.run({ argv: ['bgw-no-such-program'] })).toMatchObject({ code: null, failure: 'not-found' });
  });

  it('closing stops the look-ahead commands still running, and only those', { timeout: 30_000 }, async () => {
    const host = new LocalHost();
    const ahead = host.run({ argv: ['sleep', '20'], early: true });
    const asked = host.run({ argv: ['sh', '-c', 'sleep 0.3; echo done'] });
    const started = performance.now();
    await host.close();
    expect(await ahead).toMatchObject({ code: null });
    // Waiting for it would take 20 s.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await asked).toMatchObject({ code: 0, stdout: 'done\n' });
  });
});
