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

  it("ps: a password in a URL of a process's arguments goes, the user and host stay", () => {
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

describe('redaction of values named as credentials, on real captured output', () => {
  it('php-fpm -tt: env[DB_PASSWORD] and php_admin_value[mysqli.default_pw] go; other settings stay', () => {
    const text = fixture('php-fpm-tt-pool-secrets.txt');
    const counts = noRedactions();
    const out = redactText(text, counts);
    expect(out).not.toContain('Zq8-fpm-secret-71');
    expect(out).not.toContain('Kp4-admin-pw-29');
    expect(out).toContain(`env[DB_PASSWORD] = ${REDACTED}`);
    expect(out).toContain(`php_admin_value[mysqli.default_pw] = ${REDACTED}`);
    expect(out).toContain('env[APP_ENV] = production');
    expect(out).toContain('php_admin_value[memory_limit] = 128M');
    expect(counts.headers).toBe(2);
    expect(redactText(out)).toBe(out);
  });

  it('ps: --password=, -D...password= and NAME_PASS= arguments go; --port= stays', () => {
    const out = redactText(fixture('ps-secret-arguments.txt'));
    for (const secret of ['Hx2-cli-secret-55', 'Jv7-java-pw-13', 'Lm3-env-pw-88']) expect(out).not.toContain(secret);
    expect(out).toContain(`--password=${REDACTED} -Dspring.datasource.password=${REDACTED} DB_PASS=${REDACTED} --port=8080`);
    expect(redactText(out)).toBe(out);
  });

  it('nginx -T: fastcgi_param DB_PASSWORD goes; fastcgi_param APP_ENV and fastcgi_pass stay', () => {
    const out = redactText(fixture('nginx-T-fastcgi-param-secret.txt'));
    expect(out).not.toContain('Wn5-fastcgi-pw-42');
    expect(out).toContain(`fastcgi_param DB_PASSWORD "${REDACTED}";`);
    expect(out).toContain('fastcgi_param APP_ENV production;');
    expect(out).toMatch(/fastcgi_pass 127\.0\.0\.1:\d+;/);
  });

  it("the error log: a token in the request's query string goes, in the request and the upstream URL; the rest stays", () => {
    const text = fixture('error-log-query-token.txt');
    const out = redactText(text);
    expect(out).not.toContain('Tk9-query-token-64');
    expect(out).toContain(`request: "GET /api/orders?access_token=${REDACTED}&page=2 HTTP/1.1"`);
    expect(out).toMatch(/upstream: "http:\/\/127\.0\.0\.1:\d+\/api\/orders\?access_token=\[redacted\]&page=2"/);
    expect(out.replace(/access_token=\[redacted\]/g, '')).toBe(text.replace(/access_token=Tk9-query-token-64/g, ''));
  });

  it('JSON: a member named as a credential goes (the shape of a process manager listing its environment)', () => {
    const out = redactText('{"name":"api","pm2_env":{"DB_PASSWORD":"p\\"w1","API_KEY":"k-2","PORT":"8080","token":""}}');
    expect(out).toBe(`{"name":"api","pm2_env":{"DB_PASSWORD":"${REDACTED}","API_KEY":"${REDACTED}","PORT":"8080","token":""}}`);
  });

  it('names that only look close stay: proxy_pass, server_tokens, passenger, bypass', () => {
    const text = 'proxy_pass http://app;\nserver_tokens off;\npassenger_enabled = on\nbypass=1 compass=north';
    expect(redactText(text)).toBe(text);
  });
});
