import { describe, expect, it } from 'vitest';
import type { KnownFacts } from '../../../../src/facts/keys.js';
import { CLOSED_PLANNERS } from '../../../../src/fixes/planners/closed.js';
import { parseDump } from '../../../../src/nginx/parse-dump.js';
import { text } from '../../checks/closed-fixture.js';

const config = parseDump(text('nginx-T-keepalive.txt'));
const FILE = '/tmp/cc/kt/nginx.conf';
const nginx: KnownFacts = { 'nginx.config': config, 'nginx.test': ['nginx', '-t'], 'nginx.reload': ['nginx', '-s', 'reload'] };

function protocol(path: string, speaks: string): KnownFacts {
  return {
    ...nginx,
    'request.url': `http://keepalive.test:38410${path}`,
    'request.port': 38410,
    'request.path': path,
    'request.hostHeader': 'keepalive.test',
    'protocol.backend': speaks,
    'protocol.seen': `${speaks}: seen`,
    'upstream.target': '127.0.0.1:38490',
  };
}

const switchProtocol = (path: string, speaks: string) => CLOSED_PLANNERS['switch-protocol']!.plan(protocol(path, speaks));

describe('switch-protocol', () => {
  it('http:// becomes https:// for a backend that speaks TLS', () => {
    const plan = switchProtocol('/direct/x', 'https');
    expect(plan.edits).toEqual([expect.objectContaining({ file: FILE, before: 'proxy_pass http://127.0.0.1:38480;', after: 'proxy_pass https://127.0.0.1:38480;' })]);
    expect(plan.commands.map((c) => c.argv.join(' '))).toEqual(['nginx -t', 'nginx -s reload']);
  });

  it('proxy_pass becomes fastcgi_pass with the params and SCRIPT_FILENAME; the URI part goes', () => {
    const plan = switchProtocol('/to-fpm/x', 'fastcgi');
    expect(plan.edits[0]!.before).toBe('proxy_pass http://127.0.0.1:38490/app/;');
    // Another location already includes the params by this path: the new one does the same.
    expect(plan.edits[0]!.after.split('\n').map((l) => l.trim())).toEqual([
      'fastcgi_pass 127.0.0.1:38490;',
      'include /etc/nginx/fastcgi_params;',
      'fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;',
    ]);
    expect(plan.notes.join('\n')).toContain('/app/ has no meaning for fastcgi_pass');
  });

  it('fastcgi_pass becomes proxy_pass http:// for an HTTP backend, socket or group alike', () => {
    const socket = switchProtocol('/to-http/x', 'http');
    expect(socket.edits[0]).toMatchObject({ before: 'fastcgi_pass unix:/tmp/cc/fpm.sock;', after: 'proxy_pass http://unix:/tmp/cc/fpm.sock;' });
    expect(socket.notes.join('\n')).toContain('do nothing for proxy_pass');
    expect(switchProtocol('/php-nokeep/x', 'http').edits[0]).toMatchObject({ before: 'fastcgi_pass php;', after: 'proxy_pass http://php;' });
  });

  it('not this: a backend that is no web backend gets no edit, only what to look for', () => {
    const plan = switchProtocol('/direct/x', 'other');
    expect(plan).toMatchObject({ commands: [], edits: [] });
    expect(plan.notes[0]).toContain('no web backend');
  });
});

describe('keepalive-timeout', () => {
  const plan = (facts: KnownFacts) =>
    CLOSED_PLANNERS['keepalive-timeout']!.plan({ ...nginx, 'keepalive.backendMs': 1000, 'keepalive.behaviour': 'closes an idle connection after about 1000 ms', ...facts });

  it('adds keepalive_timeout after the keepalive line when none is written', () => {
    const result = plan({ 'keepalive.place': { file: FILE, line: 8 }, 'keepalive.timeoutSet': false, 'keepalive.suggested': '500ms' });
    expect(result.edits).toEqual([expect.objectContaining({ file: FILE, line: 8, before: 'keepalive 4;', after: 'keepalive 4;\n    keepalive_timeout 500ms;' })]);
    expect(result.notes.join('\n')).toContain('never a POST');
  });

  it('changes the keepalive_timeout that is written', () => {
    const result = plan({ 'keepalive.place': { file: FILE, line: 13 }, 'keepalive.timeoutSet': true, 'keepalive.suggested': '1s' });
    expect(result.edits[0]).toMatchObject({ before: 'keepalive_timeout 30s;', after: 'keepalive_timeout 1s;' });
  });
});

describe('backend-crashed', () => {
  const plan = (facts: KnownFacts) => CLOSED_PLANNERS['backend-crashed']!.plan({ 'backend.process': 'php-fpm8.2', 'crash.logs': ['/var/log/php8.2-fpm.log'], ...facts });

  it('reads the logs and, under systemd, the journal and the restart policy; restarting is not the fix', () => {
    const result = plan({ 'crash.lines': ['WARNING: [pool www] child 3889 exited on signal 9 (SIGKILL)'], 'crash.unit': 'php8.2-fpm.service' });
    expect(result.commands.map((c) => c.argv.join(' '))).toEqual([
      'tail -n 200 -- /var/log/php8.2-fpm.log',
      'journalctl -u php8.2-fpm.service --since -1h --no-pager',
      'systemctl show -p Restart -p NRestarts -p Result -- php8.2-fpm.service',
    ]);
    expect(result.edits).toEqual([]);
    expect(result.notes[0]).toMatch(/Restarting the backend is not the fix/);
    expect(result.notes.join('\n')).toMatch(/out-of-memory killer/);
  });

  it('explains a segfault and a traceback in their own words', () => {
    expect(plan({ 'crash.lines': ['Fatal Python error: Segmentation fault'] }).notes.join('\n')).toMatch(/native code/);
    const traceback = plan({ 'crash.lines': ['Traceback (most recent call last):', "KeyError: 'customer_id'"] }).notes.join('\n');
    expect(traceback).toMatch(/exception names the file and line/);
    expect(traceback).not.toMatch(/native code|out-of-memory/);
  });
});

describe('backend-headers', () => {
  it('names the line, and says nginx needs no change', () => {
    const plan = CLOSED_PLANNERS['backend-headers']!.plan({ 'response.badLine': 'line 4: see the audit log', 'response.problem': 'x', 'upstream.target': '127.0.0.1:8000' });
    expect(plan).toMatchObject({ commands: [], edits: [] });
    expect(plan.notes[0]).toBe('The backend at 127.0.0.1:8000 must send valid response headers. The line to fix: line 4: see the audit log.');
    expect(plan.notes[1]).toMatch(/^Nothing to change in nginx/);
  });
});
