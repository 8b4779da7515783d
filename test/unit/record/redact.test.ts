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

describe('redaction of the formats issue 16 found recorded verbatim', () => {
  const cases: [string, string, string][] = [
    ['a redis URL with no user', 'REDIS_URL=redis://:Rq5-redis-pw@cache.internal:6379/0', `REDIS_URL=redis://:${REDACTED}@cache.internal:6379/0`],
    [
      'a user:password URL in ps',
      '  812     1 app      /usr/bin/celery -b amqp://guest:Gq2-amqp-pw@rabbit:5672// worker',
      `  812     1 app      /usr/bin/celery -b amqp://guest:${REDACTED}@rabbit:5672// worker`,
    ],
    ['an Api-Key header', 'HTTP/1.1 200 OK\r\nApi-Key: 7d1e0c9b2a\r\nContent-Length: 2', `HTTP/1.1 200 OK\r\nApi-Key: ${REDACTED}\r\nContent-Length: 2`],
    ['an X-Api-Key header in a curl argument', "curl -H 'X-Api-Key: 7d1e0c9b2a' http://127.0.0.1/", `curl -H 'X-Api-Key: ${REDACTED}' http://127.0.0.1/`],
    ['a Private-Token header', 'Private-Token: glpat-Xy7-secret', `Private-Token: ${REDACTED}`],
    [
      '--password pw in ps',
      '  901     1 mysql    /usr/sbin/mysqld --user=mysql --password Mp3-db-pw --port=3306',
      `  901     1 mysql    /usr/sbin/mysqld --user=mysql --password ${REDACTED} --port=3306`,
    ],
    ['--password=pw', 'app --password=Mp3-db-pw --verbose', `app --password=${REDACTED} --verbose`],
    ['mysql -ppw', '  930   920 root     mysql -uroot -pMp3-db-pw -h db shop', `  930   920 root     mysql -uroot -p${REDACTED} -h db shop`],
    ['mysqldump -ppw', 'mysqldump -u backup -pBk9-dump-pw --all-databases', `mysqldump -u backup -p${REDACTED} --all-databases`],
    ['curl -u user:pw', '  950   940 root     curl -sS -u admin:Cu4-curl-pw http://127.0.0.1:8080/health', `  950   940 root     curl -sS -u admin:${REDACTED} http://127.0.0.1:8080/health`],
    ['curl --user user:pw', 'curl --user admin:Cu4-curl-pw http://x/', `curl --user admin:${REDACTED} http://x/`],
    [
      'redis --requirepass pw',
      '  700     1 redis    /usr/bin/redis-server 127.0.0.1:6379 --requirepass Rq5-redis-pw',
      `  700     1 redis    /usr/bin/redis-server 127.0.0.1:6379 --requirepass ${REDACTED}`,
    ],
    ['requirepass in redis.conf', 'bind 127.0.0.1\nrequirepass Rq5-redis-pw\nport 6379', `bind 127.0.0.1\nrequirepass ${REDACTED}\nport 6379`],
    [
      'a bare Bearer token in a log',
      '2026/11/21 10:00:01 [warn] rejected Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln for /api',
      `2026/11/21 10:00:01 [warn] rejected Bearer ${REDACTED} for /api`,
    ],
    ['nginx set $api_token', '        set $api_token "tok_live_9Ab3";\n        set $backend app;', `        set $api_token "${REDACTED}";\n        set $backend app;`],
    ['nginx set $upstream_secret unquoted', '    set $upstream_secret Sx1-nginx;', `    set $upstream_secret "${REDACTED}";`],
    ['a signed URL ?sig=', 'request: "GET /dl/a.zip?expires=1700000000&sig=9f8e7d6c5b HTTP/1.1"', `request: "GET /dl/a.zip?expires=1700000000&sig=${REDACTED} HTTP/1.1"`],
    [
      'an S3 presigned URL',
      'upstream: "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261121&X-Amz-Signature=0a1b2c3d4e"',
      `upstream: "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${REDACTED}&X-Amz-Signature=${REDACTED}"`,
    ],
    ['?token=', 'GET /feed?token=Tk7-feed&page=1', `GET /feed?token=${REDACTED}&page=1`],
    ['key: value in a log', 'password: Hn2-log-pw\nuser: app', `password: ${REDACTED}\nuser: app`],
    ['api_key: value in YAML', 'service:\n  api_key: sk_live_51Hx\n  port: 8080', `service:\n  api_key: ${REDACTED}\n  port: 8080`],
    ['key=value in a log line', 'level=info msg="login" client_secret=Cs8-oauth user=app', `level=info msg="login" client_secret=${REDACTED} user=app`],
    ['a flag named as a key, its value not a path', 'app --license-key LK-2211-abcd --config /etc/app.yml', `app --license-key ${REDACTED} --config /etc/app.yml`],
  ];
  for (const [what, input, expected] of cases) {
    it(what, () => {
      const counts = noRedactions();
      const out = redactText(input, counts);
      expect(out).toBe(expected);
      expect(counts.headers + counts.urlPasswords).toBeGreaterThan(0);
      expect(redactText(out)).toBe(out);
    });
  }

  it('ps output: every process line with a secret-looking argument is redacted, the rest of the listing stays', () => {
    const ps = [
      '      1       0 root     /sbin/init',
      '    411       1 root     nginx: master process /usr/sbin/nginx -g daemon on; master_process on;',
      '    412     411 www-data nginx: worker process',
      '    700       1 redis    /usr/bin/redis-server 127.0.0.1:6379 --requirepass Rq5-redis-pw',
      '    812       1 app      /usr/bin/python3 /srv/app/worker.py --db-url postgres://app:Pg4-db-pw@db/app --api-key Ak6-key',
      '    930     920 root     mysql -uroot -pMp3-db-pw shop',
      '    950     940 root     curl -sS -u admin:Cu4-curl-pw http://127.0.0.1:8080/health',
      '   1001       1 app      /usr/bin/node /srv/api/server.js --port 3000 --token Tn8-node',
    ].join('\n');
    const out = redactText(ps);
    for (const secret of ['Rq5-redis-pw', 'Pg4-db-pw', 'Ak6-key', 'Mp3-db-pw', 'Cu4-curl-pw', 'Tn8-node']) expect(out).not.toContain(secret);
    const [init, master, worker] = out.split('\n');
    expect([init, master, worker]).toEqual(ps.split('\n').slice(0, 3));
    expect(out).toContain('--port 3000');
    expect(out).toContain('postgres://app:');
    expect(out).toContain('-u admin:');
  });

  it('an argv: the value after --password, the password of -u user:pw, a MySQL client -ppw; the rest stays', () => {
    expect(redactArgv(['mysqld', '--user', 'mysql', '--password', 'Mp3-db-pw', '--port', '3306'])).toEqual(['mysqld', '--user', 'mysql', '--password', REDACTED, '--port', '3306']);
    expect(redactArgv(['curl', '-u', 'admin:Cu4-curl-pw', 'http://x/'])).toEqual(['curl', '-u', `admin:${REDACTED}`, 'http://x/']);
    expect(redactArgv(['/usr/bin/mysql', '-uroot', '-pMp3-db-pw', 'shop'])).toEqual(['/usr/bin/mysql', '-uroot', `-p${REDACTED}`, 'shop']);
    expect(redactArgv(['redis-server', '--requirepass', 'Rq5'])).toEqual(['redis-server', '--requirepass', REDACTED]);
    const once = redactArgv(['mysql', '-pX1', '--password', 'y', '-u', 'a:b']);
    expect(redactArgv(once)).toEqual(once);
  });

  it('not this: options and lines that only look close keep their values', () => {
    const text = [
      'nginx -p /usr/share/nginx -g daemon off;',
      'docker run -u 1000:1000 app',
      'sudo -u www-data php-fpm',
      'app --password-file /run/secrets/db --key /etc/ssl/private/site.key --port 8080',
      'Extended master secret: no',
      'passwd:         files systemd',
      'bgw ALL=(ALL) NOPASSWD: ALL',
      '* Server auth using Basic with user svc',
      'Bearer authentication is required',
      'set $cache_key $scheme$host$uri;',
      'set $memcached_key "$uri?$args";',
      'a wrong password: sudo prompts again',
      'server_tokens off;',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'X-Request-Id: 5f2b',
      'connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: lab.test',
    ].join('\n');
    const counts = noRedactions();
    expect(redactText(text, counts)).toBe(text);
    expect(counts).toEqual(noRedactions());
    expect(redactArgv(['nginx', '-p', '/prefix/', '-g', 'daemon off;'])).toEqual(['nginx', '-p', '/prefix/', '-g', 'daemon off;']);
  });
});

describe('redaction over random mixes of real-shaped lines', () => {
  const secretLines = [
    ['redis-server --requirepass Zr1-secret', 'Zr1-secret'],
    ['curl -u ops:Zc2-secret http://x/', 'Zc2-secret'],
    ['mysql -uroot -pZm3-secret db', 'Zm3-secret'],
    ['GET /a?sig=Zs4-secret HTTP/1.1', 'Zs4-secret'],
    ['Api-Key: Za5-secret', 'Za5-secret'],
    ['rejected Bearer Zb6-secret.jwt', 'Zb6-secret.jwt'],
    ['    set $api_token "Zt7-secret";', 'Zt7-secret'],
    ['password: Zp8-secret', 'Zp8-secret'],
    ['amqp://guest:Zq9-secret@rabbit/', 'Zq9-secret'],
    ['app --token Zk0-secret --port 80', 'Zk0-secret'],
  ] as const;
  const plainLines = ['nginx: worker process', 'proxy_pass http://app;', 'server_tokens off;', 'listen 8080;', 'Host: 127.0.0.1', 'Extended master secret: no'];

  it('over 500 random listings: no secret survives, the plain lines stay, and redacting again changes nothing', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 500; i++) {
      const picked = Array.from({ length: 6 }, () => (random() < 0.5 ? secretLines[Math.floor(random() * secretLines.length)] : null));
      const lines = picked.map((p, j) => (p ? p[0] : (plainLines[j % plainLines.length] as string)));
      const text = lines.join('\n');
      const out = redactText(text);
      for (const p of picked) if (p) expect(out, text).not.toContain(p[1]);
      out.split('\n').forEach((line, j) => {
        if (!picked[j]) expect(line).toBe(lines[j]);
      });
      expect(redactText(out)).toBe(out);
    }
  });
});
