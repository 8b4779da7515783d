import { describe, expect, it } from 'vitest';
import { backendResponse } from '../../../src/checks/backend-response.js';
import type { KnownFacts } from '../../../src/facts/keys.js';
import { parseErrorLog, classifyMessage } from '../../../src/nginx/error-log.js';
import { run, text } from './closed-fixture.js';

const errors = parseErrorLog(text('nginx-refused-responses.log'));

function facts(path: string, module = 'proxy'): KnownFacts {
  const error = errors.find((e) => e.request?.startsWith(`GET /raw/${path} `))!;
  return {
    'upstream.module': module,
    'upstream.scheme': module === 'proxy' ? 'http' : module,
    'upstream.target': '127.0.0.1:38483',
    'upstream.kind': 'tcp',
    'upstream.host': '127.0.0.1',
    'upstream.port': 38483,
    'request.path': `/raw/${path}`,
    'request.hostHeader': 'lab.test',
    'error.latest': error,
    'error.kind': error.kind,
    'error.detail': classifyMessage(error.message).detail ?? '',
  };
}

describe('backend.response', () => {
  it('asks the backend for the path nginx asked for, with HTTP/1.0 and Connection: close', () => {
    const [probe] = backendResponse.plan(facts('lf'), []);
    expect(probe!.argv.slice(8, 11)).toEqual(['raw-probe', '127.0.0.1', '38483']);
    expect(probe!.argv[11]).toMatch(/^GET\\x20\\x2flf\\x20HTTP\\x2f1\\x2e0\\x0d\\x0a/);
    expect(backendResponse.plan(facts('lf', 'fastcgi'), [])).toEqual([]);
  });

  it('names the broken line, the same one nginx refused', () => {
    const result = backendResponse.interpret(facts('lf'), [run('raw-http-lf')]);
    expect(result.outcome).toBe('malformed');
    expect(result.facts['response.badLine']).toBe('line 4: second line');
    expect(result.facts['response.problem']).toMatch(/^line 4 of the response head, "second line": it has no colon/);
    expect(JSON.stringify(result.evidence)).not.toContain('not the line nginx named');
  });

  it('says so when the line it reads is not the one nginx named', () => {
    const result = backendResponse.interpret(facts('nul'), [run('raw-http-barecr')]);
    expect(result.outcome).toBe('malformed');
    expect(JSON.stringify(result.evidence)).toContain('not the line nginx named');
  });

  it("a FastCGI backend cannot be read raw: nginx's own detail is the evidence", () => {
    const result = backendResponse.interpret(facts('nulval', 'fastcgi'), []);
    expect(result.outcome).toBe('logged-only');
    expect(result.facts['response.badLine']).toBe('X-V: a\\x00...');
  });

  it('not this: the answer is valid now', () => {
    expect(backendResponse.interpret(facts('lf'), [run('raw-http-valid-python')]).outcome).toBe('valid');
    expect(backendResponse.interpret(facts('chunk', 'fastcgi'), []).outcome).toBe('not-probed');
  });
});
