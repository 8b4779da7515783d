import { describe, expect, it } from 'vitest';
import { startTcpBackend } from './lab/backend.js';
import { diagnose, runCli } from './lab/badgateway.js';
import { freePort } from './lab/ports.js';
import { labScope } from './lab/scope.js';

const { later } = labScope();

describe('when the failing URL is not nginx', () => {
  it('says which program owns the port instead of guessing', async () => {
    const port = await freePort();
    const server = await startTcpBackend('127.0.0.1', port);
    later(() => server.stop());
    const { report, code } = await diagnose(`http://127.0.0.1:${port}/`);
    expect(code).toBe(1);
    expect(report.diagnosis.cause).toBe('unknown');
    expect(report.diagnosis.title).toBe('Another program answers on this port');
    expect(report.steps).toHaveLength(1);
    expect(report.steps[0].summary).toContain('python3');
  });
});

describe('bad input', () => {
  it('refuses a URL that is not http(s) with exit 2 and the usage', async () => {
    const run = await runCli(['--json', '--url', 'ftp://127.0.0.1/']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('only http:// and https:// URLs');
    expect(run.stderr).toContain('Usage:');
    expect(run.stdout).toBe('');
  });

  it('refuses an unknown flag with exit 2', async () => {
    const run = await runCli(['--jsno']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown argument --jsno');
  });

  it('says the wizard needs a terminal when stdin is not one', async () => {
    const run = await runCli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('use --json');
    expect(run.stderr).not.toContain('    at ');
  });

  it('names file and line of a broken flow', async () => {
    const run = await runCli(['lint', 'test/fixtures/flows/broken-branch.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('broken-branch.yaml:9: start: outcome not-running of nginx.find has no branch');
  });
});
