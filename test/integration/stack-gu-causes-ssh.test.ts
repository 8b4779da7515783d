import { describe, expect, it } from 'vitest';
import { pathOf, stackScope } from './lab/stack-run.js';
import { sshScope } from './lab/stack-ssh-run.js';
import { gunicornCausesApp, gunicornOtherAddress, uwsgiCausesApp } from '../../src/live/stacks-causes-python.js';

// The boxes are removed after the sshd and its client (afterEach hooks run in reverse order of registration).
const { use: box } = stackScope();
const { overSsh } = sshScope();
const path = pathOf;
const nodes = (report: { diagnosis: { evidence: { node: string; lines: string[] }[] } }, node: string) => report.diagnosis.evidence.filter((e) => e.node === node).flatMap((e) => e.lines);

describe('gunicorn and uwsgi causes over --ssh', () => {
  it('gunicorn bind-address-mismatch (--bind [::1]:8000, nginx dials 127.0.0.1:8000): proxy_pass retargeted over SSH, verified', async () => {
    const stack = await box(gunicornOtherAddress('[::1]:8000'));
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('bind-address-mismatch');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('connect() failed (111: Connection refused) while connecting to upstream');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', line: 9, after: 'proxy_pass http://[::1]:8000;' })]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('gunicorn header-too-big (40 cookies): the head measured over the unix socket on the box, proxy_buffer_size set over SSH, verified', async () => {
    const stack = await box(gunicornCausesApp());
    const url = 'http://shop.example/big';
    const { report } = await overSsh(stack, ['--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('header-too-big');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('upstream sent too big header while reading response header from upstream');
    expect(nodes(report, 'header-size').join('\n')).toMatch(/the backend answered 200 with 9\d{3} bytes of response header/);
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', after: expect.stringContaining('proxy_buffer_size 16k;') })]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('uwsgi bind-address-mismatch (socket = 127.0.0.2:3031, uwsgi_pass 127.0.0.1:3031): uwsgi_pass retargeted over SSH, verified', async () => {
    const stack = await box(
      uwsgiCausesApp({ iniExtra: 'socket = 127.0.0.2:3031\n', pass: 'include uwsgi_params;\n        uwsgi_pass 127.0.0.1:3031;', ready: ['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.2/3031'] }),
    );
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('bind-address-mismatch');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('connect() failed (111: Connection refused) while connecting to upstream');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', before: 'uwsgi_pass 127.0.0.1:3031;', after: 'uwsgi_pass 127.0.0.2:3031;' })]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('uwsgi header-too-big (40 cookies): the head measured with a uwsgi request sent on the box, uwsgi_buffer_size set over SSH, verified', async () => {
    const stack = await box(uwsgiCausesApp());
    const url = 'http://shop.example/big';
    const { report } = await overSsh(stack, ['--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('header-too-big');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('upstream sent too big header while reading response header from upstream');
    expect(nodes(report, 'header-size').join('\n')).toMatch(/with 41 header lines: 9\d{3} bytes of response head/);
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', after: expect.stringContaining('uwsgi_buffer_size 16k;') })]);
    expect(report.fix.edits[0].after).not.toContain('proxy_');
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('uwsgi invalid-response (a header named "X Order Id"): the refused line read back over the socket on the box', async () => {
    const stack = await box(uwsgiCausesApp());
    const { report } = await overSsh(stack, ['--url', 'http://shop.example/odd']);
    expect(report.diagnosis.cause, path(report)).toBe('invalid-response');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('upstream sent invalid header: "X\\x20..."');
    expect(report.steps.at(-1)).toMatchObject({ node: 'response-head', outcome: 'malformed' });
    expect(report.diagnosis.explanation).toContain('"X Order Id: 7"');
  });
});
