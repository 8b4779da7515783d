import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nginxConfig } from '../../../src/checks/nginx-config.js';
import type { KnownFacts } from '../../../src/facts/keys.js';
import type { CommandResult } from '../../../src/hosts/host.js';

// Real nginx -T stdout (nginx 1.22.1), see test/unit/nginx/parse-dump.test.ts for how it was captured.
const DUMP = readFileSync(new URL('../../fixtures/nginx-T/lookalike-headers.txt', import.meta.url), 'utf8');
const ARGS = ['-p', '/tmp/bgw/lookalike', '-c', '/tmp/bgw/lookalike/nginx.conf'];

const facts: KnownFacts = {
  'nginx.binary': '/usr/sbin/nginx',
  'nginx.args': ARGS,
  'nginx.masterPid': 100,
  processes: [
    { pid: 100, ppid: 1, user: 'root', args: 'nginx: master process /usr/sbin/nginx' },
    { pid: 101, ppid: 100, user: 'www-data', args: 'nginx: worker process' },
  ],
};
const run = (stdout: string): CommandResult => ({ argv: ['/usr/sbin/nginx', ...ARGS, '-T'], stdout, stderr: '', code: 0, ms: 5 });
const lines = (stdout: string): string[] => nginxConfig.interpret(facts, [run(stdout)]).evidence.flatMap((e) => e.lines);

describe('nginx.config with parse errors', () => {
  // The real dump without the snippet's section: both includes of it now name a file the dump lacks.
  const withoutSnippet = DUMP.replace(/# configuration file \/tmp\/bgw\/lookalike\/snippets\/headers\.conf:\nadd_header X-Snippet 1;\n\n/, '');

  it('lists each error with file:line in the evidence and mentions them in the summary, outcome unchanged', () => {
    expect(withoutSnippet).not.toBe(DUMP);
    const result = nginxConfig.interpret(facts, [run(withoutSnippet)]);
    expect(result.outcome).toBe('valid');
    expect(result.summary).toBe(
      '3 config files read; workers run as www-data; 2 parse errors in the nginx -T output ' +
        '(first: /tmp/bgw/lookalike/conf.d/10-a.conf:4: included file "snippets/headers.conf" is not in the nginx -T output)',
    );
    expect(lines(withoutSnippet).filter((l) => l.startsWith('parse error:'))).toEqual([
      'parse error: /tmp/bgw/lookalike/conf.d/10-a.conf:4: included file "snippets/headers.conf" is not in the nginx -T output',
      'parse error: /tmp/bgw/lookalike/conf.d/20-b.conf:3: included file "snippets/headers.conf" is not in the nginx -T output',
    ]);
  });

  it('lists the first ten and counts the rest', () => {
    const broken = `# configuration file /c/nginx.conf:\n${'}\n'.repeat(12)}`;
    const shown = lines(broken).filter((l) => l.includes('parse error'));
    expect(shown).toHaveLength(11);
    expect(shown[0]).toBe('parse error: /c/nginx.conf:1: unexpected "}"');
    expect(shown[10]).toBe('... and 2 more parse errors');
    expect(nginxConfig.interpret(facts, [run(broken)]).summary).toContain('12 parse errors in the nginx -T output (first: /c/nginx.conf:1: unexpected "}")');
  });

  it('not this: a dump that parses cleanly adds nothing to the summary or the evidence', () => {
    const result = nginxConfig.interpret(facts, [run(DUMP)]);
    expect(result.outcome).toBe('valid');
    expect(result.summary).toBe('4 config files read; workers run as www-data');
    expect(lines(DUMP).some((l) => l.includes('parse error'))).toBe(false);
  });
});

describe("nginx.config's evidence command (issue 16)", () => {
  it("shows nginx's own -g 'daemon off;' as one argument and a hostile prefix quoted, exactly the argv that ran", () => {
    const args = ['-p', '/srv/$(touch /tmp/bgw-pwned)/', '-g', 'daemon off;'];
    const result = nginxConfig.interpret({ ...facts, 'nginx.args': args }, [{ ...run(DUMP), argv: ['/usr/sbin/nginx', ...args, '-T'] }]);
    const command = result.evidence[0]?.command ?? '';
    expect(command).toBe("/usr/sbin/nginx -p '/srv/$(touch /tmp/bgw-pwned)/' -g 'daemon off;' -T");
    const parsed = execFileSync('bash', ['--norc', '-c', `printf '%s\\0' ${command}`], { encoding: 'utf8' })
      .split('\0')
      .slice(0, -1);
    expect(parsed).toEqual(['/usr/sbin/nginx', ...args, '-T']);
  });
});
