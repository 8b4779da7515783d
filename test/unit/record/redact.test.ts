import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { noRedactions, REDACTED, redactArgv, redactText } from '../../../src/record/redact.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/record/${name}`, import.meta.url), 'utf8');

describe('redaction on real captured output', () => {
  it('nginx -T: header values that carry credentials go, variables and the rest of the config stay', () => {
    const text = fixture('nginx-T-secret-headers.txt');
    const counts = noRedactions();
    const out = redactText(text, counts);
    expect(out).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(out).not.toContain('9f8e7d6c5b4a');
    expect(out).not.toContain('c3ZjOmh1bnRlcjI=');
    expect(out).toContain(`proxy_set_header Authorization "${REDACTED}";`);
    expect(out).toContain(`proxy_set_header X-Api-Key "${REDACTED}";`);
    expect(out).toContain(`fastcgi_param HTTP_AUTHORIZATION "${REDACTED}";`);
    // A variable is config, not a secret; so are Host and every other line.
    expect(out).toContain('proxy_set_header Cookie $http_cookie;');
    expect(out).toContain('proxy_set_header Host $host;');
    expect(out.split('\n').length).toBe(text.split('\n').length);
    expect(counts.headers).toBe(3);
  });

  it('curl -D: Set-Cookie values go, the header names and other headers stay', () => {
    const counts = noRedactions();
    const out = redactText(fixture('curl-D-set-cookie.txt'), counts);
    expect(out).not.toContain('8c1f0e2ab9d34c77a1e5');
    expect(out).not.toContain('Qm9vbTEyMzQ1Njc4');
    expect(out).toContain(`Set-Cookie: ${REDACTED}`);
    expect(out).toContain('Content-Type: text/plain');
    expect(counts.headers).toBe(2);
  });

  it('curl -v: the Authorization and Cookie request headers and the Set-Cookie answers go', () => {
    const out = redactText(fixture('curl-v-url-password.txt'));
    expect(out).not.toContain('c3ZjOmh1bnRlcjJwYXNz');
    expect(out).not.toContain('8c1f0e2ab9d34c77a1e5');
    expect(out).toContain(`> Authorization: ${REDACTED}`);
    expect(out).toContain(`> Cookie: ${REDACTED}`);
    expect(out).toContain("* Server auth using Basic with user 'svc'");
  });

  it('ps: a password in a URL of a process\'s arguments goes, the user and host stay', () => {
    const counts = noRedactions();
    const out = redactText(fixture('ps-url-password.txt'), counts);
    expect(out).not.toContain('s3cretDbPass');
    expect(out).toContain(`postgres://app:${REDACTED}@db.internal:5432/app`);
    expect(counts.urlPasswords).toBe(1);
  });

  it('private keys (OpenSSH and PKCS#8): the key material goes, the markers stay', () => {
    for (const name of ['cat-private-key.txt', 'cat-rsa-private-key.txt']) {
      const text = fixture(name);
      const body = text.split('\n')[1] as string;
      const counts = noRedactions();
      const out = redactText(text, counts);
      expect(out).not.toContain(body);
      expect(out).toMatch(/^-----BEGIN (OPENSSH )?PRIVATE KEY-----\n\[redacted\]\n-----END (OPENSSH )?PRIVATE KEY-----\n$/);
      expect(counts.privateKeys).toBe(1);
    }
  });

  it('a secret the person typed (a sudo password) is scrubbed wherever it shows up', () => {
    const counts = noRedactions();
    expect(redactText('sudo: 1 incorrect password attempt (tried hunter2pass)', counts, ['hunter2pass'])).toBe(`sudo: 1 incorrect password attempt (tried ${REDACTED})`);
    expect(counts.typedSecrets).toBe(1);
  });

  it('is idempotent, so a replay that plans from redacted output asks for the same redacted command', () => {
    for (const name of ['nginx-T-secret-headers.txt', 'curl-D-set-cookie.txt', 'curl-v-url-password.txt', 'ps-url-password.txt', 'cat-private-key.txt']) {
      const once = redactText(fixture(name));
      const counts = noRedactions();
      expect(redactText(once, counts)).toBe(once);
      expect(counts).toEqual(noRedactions());
    }
    const argv = ['curl', '-H', 'Authorization: Bearer abc.def', '--url', 'http://u:p4ss@127.0.0.1:8080/'];
    const redacted = redactArgv(argv);
    expect(redacted).toEqual(['curl', '-H', `Authorization: ${REDACTED}`, '--url', `http://u:${REDACTED}@127.0.0.1:8080/`]);
    // The replay's own argv, built from redacted facts, redacts to the same.
    expect(redactArgv(['curl', '-H', `Authorization: ${REDACTED}`, '--url', `http://u:${REDACTED}@127.0.0.1:8080/`])).toEqual(redacted);
  });

  it('not this: ordinary output with no credential is left as it is', () => {
    const text = 'Host: 127.0.0.1:8080\nContent-Type: text/html\nX-Forwarded-For: 10.0.0.1\nproxy_set_header X-Real-IP $remote_addr;\nhttp://127.0.0.1:8080/api/orders';
    const counts = noRedactions();
    expect(redactText(text, counts)).toBe(text);
    expect(counts).toEqual(noRedactions());
  });
});
