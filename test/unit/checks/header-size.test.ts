import { runLogScript } from './log-script-run.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backendDirect } from '../../../src/checks/backend-direct.js';
import { errorLog } from '../../../src/checks/error-log.js';
import { compareTimeouts, terminateMs } from '../../../src/checks/fastcgi-timeouts.js';
import { headerSize } from '../../../src/checks/header-size.js';
import { selinuxState } from '../../../src/checks/selinux-state.js';
import { configuredLimits, workerLimits, workerPids } from '../../../src/checks/worker-limits.js';
import type { FpmPool, KnownFacts } from '../../../src/facts/keys.js';
import { LIMITS_PLANNERS } from '../../../src/fixes/planners/limits.js';
import { SELINUX_PLANNERS } from '../../../src/fixes/planners/selinux.js';
import type { CommandResult } from '../../../src/hosts/host.js';
import { parseDump } from '../../../src/nginx/parse-dump.js';
import { hostNginxSends, passUri, pathNginxSends, proxyHost } from '../../../src/nginx/proxy-host.js';
import { routeRequest } from '../../../src/nginx/route.js';
import { captured, fixture } from '../system/fixture.js';

const selinux = (name: string) => readFileSync(new URL(`../../fixtures/selinux/${name}`, import.meta.url), 'utf8');
const selinuxRun = (name: string) => JSON.parse(selinux(`${name}.json`)) as CommandResult;
const errorLogFixture = (name: string) => readFileSync(new URL(`../../fixtures/error-log/${name}`, import.meta.url), 'utf8');

function ran(argv: string[], stdout: string, code: number | null = 0, stderr = ''): CommandResult {
  return { argv, stdout, stderr, code, ms: 1 };
}

/** A captured curl probe, as the host would hand it back. */
function probe(name: string): CommandResult {
  const c = captured(name);
  return { argv: c.argv, stdout: c.stdout, stderr: c.stderr, code: c.code, ms: c.ms };
}

const CONF = `# configuration file /etc/nginx/nginx.conf:
user www-data;
worker_processes 2;
worker_rlimit_nofile 64;
events {
    worker_connections 4;
}
http {
    server {
        listen 8080;
        server_name shop.test;
        location /app/ { proxy_pass http://127.0.0.1:38401; }
        location /roomy/ { proxy_pass http://127.0.0.1:38401; proxy_buffer_size 16k; proxy_busy_buffers_size 16k; }
        location ~ \\.php$ { fastcgi_pass 127.0.0.1:9000; }
    }
}
`;
const config = parseDump(CONF);

function requestFacts(path: string, module = 'proxy'): KnownFacts {
  return {
    'nginx.config': config,
    'nginx.masterPid': 3043,
    'nginx.test': ['nginx', '-t'],
    'nginx.reload': ['nginx', '-s', 'reload'],
    'request.url': `http://shop.test:8080${path}`,
    'request.port': 8080,
    'request.path': path,
    'request.hostHeader': 'shop.test:8080',
    'upstream.module': module,
    'upstream.scheme': 'http',
    'upstream.kind': 'tcp',
    'upstream.host': '127.0.0.1',
    'upstream.port': module === 'fastcgi' ? 9000 : 38401,
    'upstream.target': module === 'fastcgi' ? '127.0.0.1:9000' : '127.0.0.1:38401',
    'route.location': { file: '/etc/nginx/nginx.conf', line: 11 },
  };
}

describe('backend.header-size', () => {
  const page = ran(['getconf', 'PAGESIZE'], '4096\n');

  it('asks the backend with the path and Host nginx sends, and finds 9 KB of header too big for 4k', () => {
    const facts = requestFacts('/app/page');
    const [, curl] = headerSize.plan(facts, []);
    expect(curl!.argv).toContain('http://127.0.0.1:38401/app/page');
    expect(curl!.argv).toContain('Host: 127.0.0.1:38401');
    const result = headerSize.interpret(facts, [page, probe('http-probe-200-big-header')]);
    expect(result.outcome).toBe('too-big');
    expect(result.facts).toMatchObject({ 'headers.bytes': 9291, 'buffer.directive': 'proxy_buffer_size', 'buffer.suggested': '16k', 'system.pageSize': 4096 });
    expect(result.facts['buffer.current']).toBe("4k, nginx's default of one memory page");
  });

  it('not this: 9 KB fits a location that already has 16k', () => {
    const result = headerSize.interpret(requestFacts('/roomy/x'), [page, probe('http-probe-200-big-header')]);
    expect(result.outcome).toBe('fits-now');
    expect(result.facts['buffer.current']).toBe('16k, set at /etc/nginx/nginx.conf:12');
  });

  it('a FastCGI backend cannot be asked over HTTP: not measured, and the fix doubles the buffer', () => {
    const facts = requestFacts('/index.php', 'fastcgi');
    expect(headerSize.plan(facts, []).map((c) => c.argv[0])).toEqual(['getconf']);
    const result = headerSize.interpret(facts, [page]);
    expect(result.outcome).toBe('not-measurable');
    expect(result.facts).toMatchObject({ 'buffer.directive': 'fastcgi_buffer_size', 'buffer.suggested': '8k' });
    expect(result.facts['headers.bytes']).toBeUndefined();
  });

  describe('a FastCGI backend is asked over FastCGI, with the params nginx sends', () => {
    // Debian's front-controller site with snippets/fastcgi-php.conf and fastcgi.conf written out in place.
    const PHP_TEXT = `# configuration file /etc/nginx/nginx.conf:
http {
    server {
        listen 80;
        server_name blog.example;
        root /srv/blog.example/public;
        index index.php;
        location / { try_files $uri $uri/ /index.php?$args; }
        location ~ \\.php$ {
            fastcgi_split_path_info ^(.+?\\.php)(/.*)$;
            try_files $fastcgi_script_name =404;
            set $path_info $fastcgi_path_info;
            fastcgi_param PATH_INFO $path_info;
            fastcgi_index index.php;
            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
            fastcgi_param QUERY_STRING $query_string;
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param CONTENT_LENGTH $content_length;
            fastcgi_param REMOTE_ADDR $remote_addr;
            fastcgi_param HTTPS $https if_not_empty;
            fastcgi_pass unix:/run/php/php8.2-fpm.sock;
        }
    }
}
`;
    const PHP = parseDump(PHP_TEXT);
    const phpFacts: KnownFacts = {
      'nginx.config': PHP,
      'request.url': 'http://blog.example/shop?page=2',
      'request.port': 80,
      'request.path': '/shop?page=2',
      'request.hostHeader': 'blog.example',
      'route.pathKinds': { '/srv/blog.example/public/shop': 'none', '/srv/blog.example/public/shop/': 'none', '/srv/blog.example/public/index.php': 'file' },
      'upstream.module': 'fastcgi',
      'upstream.scheme': 'fastcgi',
      'upstream.kind': 'unix',
      'upstream.socket': '/run/php/php8.2-fpm.sock',
      'upstream.target': 'unix:/run/php/php8.2-fpm.sock',
      'route.location': { file: '/etc/nginx/nginx.conf', line: 9 },
      'nginx.test': ['nginx', '-t'],
      'nginx.reload': ['nginx', '-s', 'reload'],
    };
    const fcgi = (name: string, argv: string[]): CommandResult => ({
      ...(JSON.parse(readFileSync(new URL(`../../fixtures/fcgi-probe/${name}.json`, import.meta.url), 'utf8')) as CommandResult),
      argv,
      ms: 5,
    });

    it('sends the front controller nginx picks after try_files, with the query and Host, empty values left as nginx leaves them', () => {
      const probe = headerSize.plan(phpFacts, []).find((c) => c.argv.includes('fcgi-probe'));
      expect(probe!.argv.slice(probe!.argv.indexOf('fcgi-probe') + 1)).toEqual([
        'unix',
        '/run/php/php8.2-fpm.sock',
        '-',
        '262144',
        'PATH_INFO=',
        'SCRIPT_FILENAME=/srv/blog.example/public/index.php',
        'QUERY_STRING=page=2',
        'REQUEST_METHOD=GET',
        'CONTENT_LENGTH=',
        'REMOTE_ADDR=',
        'HTTP_HOST=blog.example',
      ]);
    });

    it('40 cookies measured through python3: too big for 4k, and the fix covers the measured head with room', () => {
      const argv = headerSize.plan(phpFacts, []).find((c) => c.argv.includes('fcgi-probe'))!.argv;
      const result = headerSize.interpret(phpFacts, [page, fcgi('big-python3', argv)]);
      expect(result.outcome).toBe('too-big');
      expect(result.facts).toMatchObject({ 'headers.bytes': 8864, 'buffer.directive': 'fastcgi_buffer_size', 'buffer.suggested': '16k' });
      const lines = result.evidence.flatMap((e) => e.lines).join('\n');
      expect(lines).toContain('Set-Cookie: 40 lines');
      expect(lines).toContain("96 of them PHP's messages on FastCGI stderr");
      expect(result.evidence.at(-1)!.probe).toContain('SCRIPT_FILENAME=/srv/blog.example/public/index.php');
      const plan = LIMITS_PLANNERS['grow-header-buffer']!.plan({ ...phpFacts, ...result.facts });
      expect(plan.edits[0]!.after).toContain('fastcgi_buffer_size 16k;');
      expect(plan.notes.join(' ')).not.toContain('could not be measured');
    });

    it('a param name no environment can hold is left out, not a crash', () => {
      const odd = parseDump(PHP_TEXT.replace('fastcgi_param QUERY_STRING $query_string;', 'fastcgi_param QUERY_STRING $query_string;\n            fastcgi_param "A=B" x;'));
      const probe = headerSize.plan({ ...phpFacts, 'nginx.config': odd }, []).find((c) => c.argv.includes('fcgi-probe'));
      expect(probe!.argv).toContain('QUERY_STRING=page=2');
      expect(probe!.argv.some((a) => a.startsWith('A=B'))).toBe(false);
    });

    it('not this: a small head fits 4k', () => {
      const argv = headerSize.plan(phpFacts, []).find((c) => c.argv.includes('fcgi-probe'))!.argv;
      const result = headerSize.interpret(phpFacts, [page, fcgi('small-cgi-fcgi', argv)]);
      expect(result.outcome).toBe('fits-now');
    });

    it('a box without a FastCGI client: not measured, said plainly, and the fix doubles the buffer', () => {
      const argv = headerSize.plan(phpFacts, []).find((c) => c.argv.includes('fcgi-probe'))!.argv;
      const result = headerSize.interpret(phpFacts, [page, fcgi('big-no-client', argv)]);
      expect(result.outcome).toBe('not-measurable');
      expect(result.summary).toContain('no FastCGI client');
      expect(result.facts['buffer.suggested']).toBe('8k');
      const plan = LIMITS_PLANNERS['grow-header-buffer']!.plan({ ...phpFacts, ...result.facts });
      expect(plan.notes[0]).toContain('could not be measured');
    });
  });

  it('the planner writes the proposal into the failing location, and keeps nginx -t happy', () => {
    const facts = { ...requestFacts('/app/page'), ...headerSize.interpret(requestFacts('/app/page'), [page, probe('http-probe-200-big-header')]).facts };
    const plan = LIMITS_PLANNERS['grow-header-buffer']!.plan(facts);
    expect(plan.edits).toEqual([expect.objectContaining({ line: 11, before: 'location /app/ {', after: 'location /app/ {\n    proxy_buffer_size 16k;\n    proxy_busy_buffers_size 28k;' })]);
    expect(plan.commands.map((c) => c.argv.join(' '))).toEqual(['nginx -t', 'nginx -s reload']);
  });

  it('edits a directive the location already writes in place', () => {
    const facts = { ...requestFacts('/roomy/x'), 'system.pageSize': 4096, 'headers.bytes': 30_000 };
    const plan = LIMITS_PLANNERS['grow-header-buffer']!.plan(facts);
    expect(plan.edits.map((e) => `${e.before} -> ${e.after}`)).toEqual([
      'proxy_buffer_size 16k; -> proxy_buffer_size 64k;',
      'proxy_busy_buffers_size 16k; -> proxy_busy_buffers_size 112k;',
      'location /roomy/ { -> location /roomy/ {\n    proxy_buffers 8 16k;',
    ]);
  });
});

describe('nginx.worker-limits', () => {
  const ps = ran(['ps', '-o', 'pid=,args=', '--ppid', '3043'], fixture('ps-ppid-nginx-master.txt'));
  const limits = ran(['cat', '--', '/proc/3044/limits'], fixture('proc-limits-nginx-worker-rlimit-64.txt'));
  const fds = ran(['ls', '-1', '--', '/proc/3044/fd'], fixture('ls-proc-fd-nginx-worker.txt'));

  it('reads the workers of the master from ps, then their limits and descriptors', () => {
    expect(workerPids(ps.stdout)).toEqual([3044, 3045]);
    const facts = { ...requestFacts('/app/'), 'error.kind': 'worker-connections' };
    expect(workerLimits.plan(facts, [ps]).map((c) => c.argv.join(' '))).toEqual(['cat -- /proc/3044/limits', 'ls -1 -- /proc/3044/fd', 'cat -- /proc/3045/limits', 'ls -1 -- /proc/3045/fd']);
  });

  it('worker_connections ran out: the numbers from the config and from /proc', () => {
    const result = workerLimits.interpret({ ...requestFacts('/app/'), 'error.kind': 'worker-connections' }, [ps, limits, fds]);
    expect(result.outcome).toBe('connections');
    expect(result.facts['worker.limits']).toMatchObject({ connections: 4, connectionsPlace: { line: 5 }, rlimitNofile: 64, openFilesSoft: 64, openFilesHard: 64, openNow: 11, workers: [3044, 3045] });
    expect(result.facts['limits.openFiles']).toBe('64 (soft limit of the running workers)');
  });

  it('Too many open files: the open-files outcome', () => {
    expect(workerLimits.interpret({ ...requestFacts('/app/'), 'error.kind': 'too-many-open-files' }, [ps, limits, fds]).outcome).toBe('open-files');
  });

  it('not this: workers that are gone leave the config values, not guesses', () => {
    const gone = ran(['cat', '--', '/proc/3044/limits'], '', 1, fixture('proc-limits-gone.stderr.txt'));
    const result = workerLimits.interpret({ ...requestFacts('/app/'), 'error.kind': 'worker-connections' }, [ps, gone]);
    expect(result.facts['worker.limits']).toMatchObject({ openFilesSoft: null, openNow: null });
    expect(result.facts['limits.openFiles']).toBe('64 (worker_rlimit_nofile)');
  });

  it('defaults when nothing is written: 512 connections, no worker_rlimit_nofile', () => {
    const bare = parseDump('# configuration file /etc/nginx/nginx.conf:\nevents {}\nhttp {}\n');
    expect(configuredLimits(bare)).toEqual({ connections: 512, connectionsPlace: null, eventsPlace: { file: '/etc/nginx/nginx.conf', line: 1 }, rlimitNofile: null, rlimitPlace: null });
  });

  it('the planner raises worker_connections in place and worker_rlimit_nofile with it', () => {
    const learned = workerLimits.interpret({ ...requestFacts('/app/'), 'error.kind': 'worker-connections' }, [ps, limits, fds]).facts;
    const plan = LIMITS_PLANNERS['raise-worker-limits']!.plan({ ...requestFacts('/app/'), ...learned, 'error.kind': 'worker-connections' });
    expect(plan.edits.map((e) => `${e.line}: ${e.before} -> ${e.after}`)).toEqual([
      '5: worker_connections 4; -> worker_connections 1024;',
      '3: worker_rlimit_nofile 64; -> worker_rlimit_nofile 2048;',
    ]);
    expect(plan.notes.join('\n')).not.toContain('LimitNOFILE');
  });

  it('under systemd it also says how to raise LimitNOFILE; with nothing written it adds both around events {', () => {
    const bare = parseDump('# configuration file /etc/nginx/nginx.conf:\nevents {\n}\nhttp {}\n');
    const learned = workerLimits.interpret({ ...requestFacts('/'), 'nginx.config': bare, 'error.kind': 'worker-connections' }, [ps]).facts;
    const plan = LIMITS_PLANNERS['raise-worker-limits']!.plan({
      ...learned,
      'error.kind': 'worker-connections',
      'nginx.test': ['nginx', '-t'],
      'nginx.reload': ['systemctl', 'reload', 'nginx.service'],
    });
    expect(plan.edits).toEqual([expect.objectContaining({ line: 1, before: 'events {', after: 'worker_rlimit_nofile 2048;\nevents {\n    worker_connections 1024;' })]);
    expect(plan.notes.join('\n')).toContain('LimitNOFILE=2048');
    expect(plan.notes.join('\n')).toContain('systemctl edit nginx.service');
  });
});

describe('selinux.state', () => {
  const facts: KnownFacts = { 'upstream.port': 3000, 'upstream.target': '127.0.0.1:3000' };
  const run = (argv: string[], text: string, code = 0): CommandResult => ran(argv, text, code);

  it('enforcing, the boolean off and an AVC denial of nginx: SELinux denies (written outputs, see README)', () => {
    const result = selinuxState.interpret(facts, [
      run(['getenforce'], selinux('getenforce-enforcing-written.txt')),
      run(['getsebool', 'httpd_can_network_connect'], selinux('getsebool-off-written.txt')),
      selinuxRun('ausearch-avc-nginx-name-connect'),
    ]);
    expect(result.outcome).toBe('enforcing-denies');
    expect(result.facts).toMatchObject({ 'selinux.mode': 'enforcing', 'selinux.boolean': 'off' });
    expect(result.facts['selinux.denial']).toContain('denied  { name_connect }');
    expect(SELINUX_PLANNERS['selinux-allow-connect']!.plan({ ...facts, ...result.facts }).commands.map((c) => c.argv.join(' '))).toEqual(['setsebool -P httpd_can_network_connect 1']);
  });

  it('not this: a Debian box without SELinux (captured)', () => {
    const result = selinuxState.interpret(facts, [selinuxRun('getenforce-disabled'), selinuxRun('getsebool-disabled'), selinuxRun('ausearch-no-audit-log')]);
    expect(result.outcome).toBe('not-selinux');
    expect(result.facts).toEqual({ 'selinux.mode': 'disabled', 'selinux.boolean': 'unknown' });
    expect(result.evidence.flatMap((e) => e.lines)).toContain('Error opening /var/log/audit/audit.log (No such file or directory)');
  });

  it('not this: enforcing, the boolean on, nothing logged', () => {
    const result = selinuxState.interpret(facts, [
      run(['getenforce'], selinux('getenforce-enforcing-written.txt')),
      run(['getsebool', 'httpd_can_network_connect'], selinux('getsebool-on-written.txt')),
      selinuxRun('ausearch-no-matches'),
    ]);
    expect(result.outcome).toBe('enforcing-allows');
  });

  it('not this: a permissive box only logs', () => {
    expect(selinuxState.interpret(facts, [run(['getenforce'], selinux('getenforce-permissive-written.txt'))]).outcome).toBe('not-selinux');
  });

  it('reads the audit log itself when ausearch is not installed', () => {
    const missing: CommandResult = { argv: ['ausearch', '-m', 'avc', '-ts', 'recent'], stdout: '', stderr: '', code: null, ms: 0, failure: 'not-found' };
    expect(selinuxState.plan(facts, [missing]).map((c) => c.argv.join(' '))).toEqual(['tail -c 262144 -- /var/log/audit/audit.log']);
    const result = selinuxState.interpret(facts, [
      run(['getenforce'], 'Enforcing\n'),
      run(['getsebool', 'httpd_can_network_connect'], selinux('getsebool-on-written.txt')),
      missing,
      run(['tail', '-c', '262144', '--', '/var/log/audit/audit.log'], selinux('audit-log-avc-written.log')),
    ]);
    expect(result.outcome).toBe('enforcing-denies');
  });
});

describe('backend.direct', () => {
  it('the backend answers 502 itself (captured)', () => {
    const result = backendDirect.interpret(requestFacts('/app/'), [probe('http-probe-502-from-backend-itself')]);
    expect(result.outcome).toBe('backend-502');
    expect(result.facts['backend.directStatus']).toBe(502);
  });

  it('not this: the backend answers 200; a refused request is a hidden line, followed as nginx would have logged it', () => {
    expect(backendDirect.interpret(requestFacts('/app/'), [probe('http-probe-200-python')]).outcome).toBe('backend-ok');
    expect(backendDirect.interpret(requestFacts('/app/'), [probe('http-probe-refused')]).outcome).toBe('refused');
  });

  it('a FastCGI backend is asked in FastCGI, with the params nginx sends; an answer other than 502 leaves it unmeasured, as before', () => {
    const php = requestFacts('/x.php', 'fastcgi');
    const [asked, ...more] = backendDirect.plan(php, []);
    expect(more).toEqual([]);
    expect(asked!.argv).toContain('fcgi-probe');
    const answered = { ...(JSON.parse(readFileSync(new URL('../../fixtures/fcgi-probe/big-python3.json', import.meta.url), 'utf8')) as CommandResult), argv: asked!.argv, ms: 5 };
    expect(backendDirect.interpret(php, [answered]).outcome).toBe('not-measurable');
  });
});

describe('FastCGI timeouts: which limit ends the request first', () => {
  const pool = (value?: string): FpmPool => ({
    name: 'www',
    masterPid: 1,
    binary: 'php-fpm8.2',
    conf: '/etc/php/8.2/fpm/php-fpm.conf',
    errorLog: null,
    values: value === undefined ? {} : { request_terminate_timeout: value },
    places: {},
    section: null,
  });

  it('reads request_terminate_timeout as php-fpm -tt prints it, and 0 or unset as off', () => {
    expect(terminateMs(pool('120s'))).toBe(120_000);
    expect(terminateMs(pool('5s'))).toBe(5000);
    expect(terminateMs(pool('0'))).toBe(0);
    expect(terminateMs(pool())).toBe(0);
    expect(terminateMs(null)).toBeNull();
  });

  it("nginx first: suggest php-fpm's own limit", () => {
    expect(compareTimeouts(1000, 5000, 1004)).toMatchObject({ outcome: 'nginx-first', suggested: '5s' });
  });

  it('php-fpm without a limit: twice what the replay showed', () => {
    expect(compareTimeouts(1000, 0, 1004)).toMatchObject({ outcome: 'nginx-first', suggested: '3s' });
    expect(compareTimeouts(60_000, 0, null)).toMatchObject({ outcome: 'nginx-first', suggested: '120s' });
  });

  it('not this: php-fpm ends the script as soon as nginx gives up; no pool found', () => {
    expect(compareTimeouts(30_000, 30_000, null).outcome).toBe('fpm-first');
    expect(compareTimeouts(30_000, 10_000, null).bitesFirst).toContain('no longer than');
    expect(compareTimeouts(1000, null, null).outcome).toBe('pool-unknown');
  });
});

describe('the request nginx sends the backend', () => {
  const route = (conf: string, path: string) => routeRequest(parseDump(`# configuration file /etc/nginx/nginx.conf:\nhttp {\n${conf}\n}\n`), { port: 80, hostHeader: 'shop.test', path })!;

  it('Host: $proxy_host unless proxy_set_header says otherwise (inherited only as a whole)', () => {
    expect(hostNginxSends(route('server { listen 80; location / { proxy_pass http://10.0.0.5:8080; } }', '/'), 'shop.test')).toBe('10.0.0.5:8080');
    expect(hostNginxSends(route('server { listen 80; location / { proxy_pass http://app:80; } }', '/'), 'shop.test')).toBe('app');
    expect(hostNginxSends(route('proxy_set_header Host $host; server { listen 80; location / { proxy_pass http://app; } }', '/'), 'shop.test:80')).toBe('shop.test');
    expect(hostNginxSends(route('proxy_set_header Host $host; server { listen 80; location / { proxy_pass http://app; proxy_set_header X-Real-IP $remote_addr; } }', '/'), 'shop.test')).toBe('app');
    expect(hostNginxSends(route('server { listen 80; location / { proxy_pass http://unix:/run/app.sock; proxy_set_header Host "api.internal"; } }', '/'), 'shop.test')).toBe('api.internal');
  });

  it('the path: a URI in proxy_pass replaces the matched prefix', () => {
    expect(passUri('http://127.0.0.1:8080/v1/')).toBe('/v1/');
    expect(passUri('http://unix:/run/app.sock:/v1/')).toBe('/v1/');
    expect(passUri('http://127.0.0.1:8080')).toBeNull();
    expect(proxyHost('https://api.example:443')).toBe('api.example');
    expect(pathNginxSends(route('server { listen 80; location /api/ { proxy_pass http://b:1/v1/; } }', '/api/orders'), '/api/orders')).toBe('/v1/orders');
    expect(pathNginxSends(route('server { listen 80; location /api/ { proxy_pass http://b:1; } }', '/api/orders'), '/api/orders')).toBe('/api/orders');
    expect(pathNginxSends(route('server { listen 80; location ~ ^/api { proxy_pass http://b:1; } }', '/api/orders'), '/api/orders')).toBe('/api/orders');
  });
});

describe('nginx.error-log: lines written before nginx reads a request', () => {
  const lines = errorLogFixture('worker-connections.log').split('\n');
  const interpret = (fresh: string) => {
    const { log, run } = runLogScript('x'.repeat(99) + '\n', fresh, probe('http-probe-reset'));
    const facts: KnownFacts = { ...requestFacts('/busy'), 'route.errorLog': log, 'request.method': 'GET', 'request.connectTo': '127.0.0.1:8080' };
    return errorLog.interpret(facts, [run]);
  };

  it('a worker_connections line without a request, written during our replay, answers it', () => {
    const result = interpret(`${lines[2]}\n`);
    expect(result.outcome).toBe('worker-limits');
    expect(result.evidence.at(-1)?.note).toContain('dropped the connection before reading any request');
  });

  it('not this: such a line about another request, or no line at all', () => {
    expect(interpret(`${lines[0]}\n`).outcome).toBe('silent-failure');
    expect(interpret('').outcome).toBe('silent-failure');
  });
});
