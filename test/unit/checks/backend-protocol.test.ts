import { describe, expect, it } from 'vitest';
import { backendProtocol } from '../../../src/checks/backend-protocol.js';
import { backendResponse } from '../../../src/checks/backend-response.js';
import type { KnownFacts, UpstreamError } from '../../../src/facts/keys.js';
import type { CommandResult } from '../../../src/hosts/host.js';
import { ranWith, run, text } from './closed-fixture.js';

const ss = ranWith(['ss', '-Hltnxp'], text('ss-lab.txt'));

function facts(module: string, scheme: string, target: string, upstream: string): KnownFacts {
  const unix = target.startsWith('unix:');
  const error = { time: '2026/11/21 13:25:00', level: 'error', errno: 104, kind: 'reset', message: 'recv() failed', upstream, line: '' } as UpstreamError;
  return {
    'upstream.module': module,
    'upstream.scheme': scheme,
    'upstream.target': target,
    'upstream.kind': unix ? 'unix' : 'tcp',
    ...(unix ? { 'upstream.socket': target.slice(5) } : { 'upstream.host': '127.0.0.1', 'upstream.port': Number(target.split(':')[1]) }),
    'request.path': '/index.php',
    'request.hostHeader': 'lab.test',
    'error.latest': error,
    'nginx.masterPid': 32149,
  };
}

const check = (f: KnownFacts, results: CommandResult[]) => backendProtocol.interpret(f, results);

describe('backend.protocol: what the backend speaks, against what nginx speaks', () => {
  it('plans a TLS handshake, a FastCGI record, an HTTP request and ss for a TCP backend', () => {
    const planned = backendProtocol.plan(facts('proxy', 'http', '127.0.0.1:38443', 'http://127.0.0.1:38443/x'), []);
    expect(planned.map((c) => c.argv.find((a) => ['curl', 'ss', 'raw-probe', 's_client'].includes(a)))).toEqual(['curl', 'ss', 'raw-probe', 's_client']);
    expect(planned.find((c) => c.argv.includes('s_client'))?.stdin).toBe('');
    // The path nginx asked for comes from the error line's upstream field.
    expect(planned[0]!.argv.at(-1)).toBe('http://127.0.0.1:38443/x');
    expect(backendProtocol.plan(facts('proxy', 'http', 'unix:/tmp/cc/fpm.sock', 'http://unix:/tmp/cc/fpm.sock:/x'), []).map((c) => c.argv[0])).toEqual(['curl', 'ss']);
  });

  it("nginx could not read the response head: the next step's byte-for-byte read of it goes in this round, and is no protocol probe here", () => {
    const base = facts('proxy', 'http', '127.0.0.1:38443', 'http://127.0.0.1:38443/x');
    const invalid = { ...base, 'error.kind': 'invalid-header' };
    const head = backendResponse.plan(invalid, [])[0];
    expect(head?.argv).toContain('raw-probe');
    const planned = backendProtocol.plan(invalid, []);
    expect(planned.at(-1)).toEqual(head);
    expect(planned.filter((c) => c.argv.includes('raw-probe'))).toHaveLength(2);
    // A reset (the closed branch: keep-alive, crash) reads no response head: nothing more is sent to the backend.
    expect(backendProtocol.plan({ ...base, 'error.kind': 'reset' }, []).filter((c) => c.argv.includes('raw-probe'))).toHaveLength(1);
    // The head's answer does not stand for the FastCGI record's.
    const withHead = check(invalid, [
      run('http-probe-https-server'),
      ss,
      run('raw-fcgi-tls-server'),
      run('s-client-https-server'),
      { ...run('raw-fcgi-tls-server'), argv: head?.argv ?? [], stdout: '' },
    ]);
    expect(withHead.outcome).toBe(check(invalid, [run('http-probe-https-server'), ss, run('raw-fcgi-tls-server'), run('s-client-https-server')]).outcome);
  });

  it('proxy_pass http:// at an HTTPS server: speaks-https', () => {
    const result = check(facts('proxy', 'http', '127.0.0.1:38443', 'http://127.0.0.1:38443/'), [run('http-probe-https-server'), ss, run('raw-fcgi-tls-server'), run('s-client-https-server')]);
    expect(result.outcome).toBe('speaks-https');
    expect(result.facts['protocol.backend']).toBe('https');
    expect(result.facts['protocol.seen']).toBe('HTTPS: a TLS handshake with it completes (TLSv1.3, certificate CN = app.internal)');
    expect(result.facts['protocol.nginx']).toBe('plain HTTP (proxy_pass http://)');
  });

  it('proxy_pass at php-fpm over TCP: its FastCGI answer tells', () => {
    const result = check(facts('proxy', 'http', '127.0.0.1:38490', 'http://127.0.0.1:38490/index.php'), [run('http-probe-php-fpm-tcp'), ss, run('raw-fcgi-php-fpm'), run('s-client-php-fpm')]);
    expect(result.outcome).toBe('speaks-fastcgi');
    expect(result.facts['protocol.seen']).toContain('(php-fpm8.2)');
  });

  it('proxy_pass at php-fpm over a unix socket: the process holding the socket tells', () => {
    const result = check(facts('proxy', 'http', 'unix:/tmp/cc/fpm.sock', 'http://unix:/tmp/cc/fpm.sock:/index.php'), [run('http-probe-php-fpm-unix'), ss]);
    expect(result.outcome).toBe('speaks-fastcgi');
    expect(result.facts['protocol.seen']).toBe('FastCGI: php-fpm8.2 listens there');
  });

  it('fastcgi_pass at an HTTP server: speaks-http', () => {
    const result = check(facts('fastcgi', 'fastcgi', '127.0.0.1:38481', 'fastcgi://127.0.0.1:38481'), [run('http-probe-nginx-http'), ss, run('raw-fcgi-nginx-http')]);
    expect(result.outcome).toBe('speaks-http');
    expect(result.facts['protocol.nginx']).toBe('FastCGI (fastcgi_pass)');
  });

  it('proxy_pass at an SSH-like server: speaks-other, with its greeting', () => {
    const result = check(facts('proxy', 'http', '127.0.0.1:38482', 'http://127.0.0.1:38482/'), [run('http-probe-ssh-banner'), ss, run('raw-fcgi-ssh-banner'), run('s-client-ssh-banner')]);
    expect(result.outcome).toBe('speaks-other');
    expect(result.facts['protocol.seen']).toContain('SSH-2.0-OpenSSH_9.2p1');
  });

  it('not this: both sides speak the same protocol', () => {
    expect(check(facts('fastcgi', 'fastcgi', '127.0.0.1:38490', 'fastcgi://127.0.0.1:38490'), [ss, run('raw-fcgi-php-fpm')]).outcome).toBe('matches');
    expect(check(facts('proxy', 'http', '127.0.0.1:38481', 'http://127.0.0.1:38481/'), [run('http-probe-nginx-http'), ss, run('raw-fcgi-nginx-http')]).outcome).toBe('matches');
  });

  it('not this: nginx speaks HTTPS to an HTTPS backend, and is asked in HTTPS', () => {
    const f = facts('proxy', 'https', '127.0.0.1:38443', 'https://127.0.0.1:38443/');
    expect(backendProtocol.plan(f, [])[0]!.argv).toEqual(expect.arrayContaining(['-k', 'https://127.0.0.1:38443/']));
    expect(check(f, [ss, run('raw-fcgi-tls-server'), run('s-client-https-server')]).outcome).toBe('matches');
  });

  it('grpc is judged like any pass; scgi is not (no probe speaks it)', () => {
    const grpc = facts('grpc', 'grpc', '127.0.0.1:38481', 'grpc://127.0.0.1:38481');
    expect(backendProtocol.plan(grpc, []).map((c) => c.argv[0])).toContain('curl');
    const scgi = facts('scgi', 'scgi', '127.0.0.1:38481', 'scgi://127.0.0.1:38481');
    expect(backendProtocol.plan(scgi, [])).toEqual([]);
    expect(check(scgi, []).outcome).toBe('unclear');
  });

  it('not this: a backend that dies on every request names no protocol', () => {
    const result = check(facts('proxy', 'http', '127.0.0.1:38485', 'http://127.0.0.1:38485/crash'), [
      run('http-probe-crashing-python'),
      ss,
      run('raw-fcgi-crashing-python'),
      run('s-client-crashing-python'),
    ]);
    expect(result.outcome).toBe('unclear');
    expect(result.facts['protocol.backend']).toBeUndefined();
  });
});
