import { describe, expect, it } from 'vitest';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { phpFpmDebian, phpPoolOutOfChildren } from './lab/stacks.js';

const { use, inBox } = stackScope();
const path = pathOf;

/** A front controller that sets 40 cookies of 200 bytes each (about 8.7 KB of head). */
const COOKIE_LOOP = 'for ($i = 0; $i < 40; $i++) setcookie("c$i", str_repeat("x", 200));';
const COOKIES = `<?php ${COOKIE_LOOP} echo "blog ok\\n";`;

describe("Debian's php8.2-fpm (its init script, its pool.d/www.conf) behind a front-controller site", () => {
  it('backend-saturated: long reports hold both children of the pool; GET / waits in the queue and times out; more children, sized by memory', async () => {
    // Two long reports hold both children of the pool (lab/stacks.ts phpPoolOutOfChildren).
    const stack = await use(phpPoolOutOfChildren());
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-saturated');
    expect(report.steps.map((s: { node: string }) => s.node)).toContain('fpm-saturation');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/php/8.2/fpm/pool.d/www.conf', before: 'pm.max_children = 2', after: expect.stringMatching(/^pm\.max_children = [34]$/) })]);
    expect(report.fix.commands).toEqual(['service php8.2-fpm restart']);
    expect(JSON.stringify(report.fix.edits)).not.toContain('fastcgi_read_timeout');

    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  }, 120_000);

  it('not this: a slow script with children to spare is a timeout to raise, not a saturated pool; raised, applied and verified', async () => {
    const stack = await use(phpFpmDebian({ scripts: { 'index.php': '<?php sleep(6); echo "slow\\n";' }, nginxExtra: 'fastcgi_read_timeout 3s;' }));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('read-timeout');
    expect(report.steps.find((s: { node: string }) => s.node === 'fpm-saturation')?.outcome).toBe('room');
    expect(JSON.stringify(report.fix.edits)).toContain('fastcgi_read_timeout');
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('socket-missing: php8.2-fpm stopped; started with its init script, applied and verified', async () => {
    const stack = await use(phpFpmDebian());
    stack.box.run(['service', 'php8.2-fpm', 'stop']);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('socket-missing');
    expect(report.fix.commands).toEqual(['service php8.2-fpm start']);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  for (const neighbours of [false, true]) {
    const among = neighbours ? ' (among the default site, an admin vhost before it, a redirect vhost and conf.d servers)' : '';
    it(`header-too-big: the front controller sets 40 cookies; the FastCGI head is measured over the socket and fastcgi_buffer_size covers it, applied and verified${among}`, async () => {
      const stack = await use(phpFpmDebian({ scripts: { 'index.php': COOKIES }, neighbours }));
      const { report } = await inBox(stack, ['--json', '--url', stack.url]);
      expect(report.diagnosis.cause, path(report)).toBe('header-too-big');
      expect(report.steps.find((s: { node: string }) => s.node === 'header-size')?.outcome).toBe('too-big');
      const measured = report.diagnosis.evidence.filter((e: { node: string }) => e.node === 'header-size');
      expect(JSON.stringify(measured)).toMatch(/SCRIPT_FILENAME=\/srv\/blog\.example\/public\/index\.php\), sent by cgi-fcgi/);
      // 40 cookies of 200 bytes: about 8.7 KB of head; 16k holds it with room, not a blind doubling to 8k.
      expect(JSON.stringify(measured)).toMatch(/Set-Cookie: 40 lines/);
      // In the blog's own PHP location, whatever else is enabled.
      expect(report.fix.edits).toEqual([
        expect.objectContaining({ file: '/etc/nginx/sites-enabled/blog', line: 12, before: 'location ~ \\.php$ {', after: expect.stringContaining('fastcgi_buffer_size 16k;') }),
      ]);
      expect(JSON.stringify(report.fix)).not.toContain('proxy_');
      expect(JSON.stringify(report.fix.notes)).not.toContain('could not be measured');

      const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
      expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
      expect(stack.box.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', stack.url])).toBe('200');
      // Written through Debian's symlink: the site's own file holds the change.
      expect(stack.box.run(['readlink', '/etc/nginx/sites-enabled/blog']).trim()).toBe('/etc/nginx/sites-available/blog');
      expect(stack.box.read('/etc/nginx/sites-available/blog')).toContain('fastcgi_buffer_size 16k;');
    });
  }

  it('a box with no FastCGI client (cgi-fcgi, python3 and perl hidden): not measured, said plainly, and the buffer doubled', async () => {
    const stack = await use(phpFpmDebian({ scripts: { 'index.php': COOKIES } }));
    for (const program of ['/usr/bin/cgi-fcgi', '/usr/bin/python3.11', '/usr/bin/perl']) stack.box.run(['mount', '--bind', '/dev/null', program]);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('header-too-big');
    expect(report.steps.find((s: { node: string }) => s.node === 'header-size')?.outcome).toBe('not-measurable');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('the box has no FastCGI client');
    expect(report.fix.edits).toEqual([expect.objectContaining({ after: expect.stringContaining('fastcgi_buffer_size 8k;') })]);
    expect(report.fix.notes[0]).toContain('could not be measured');
  });

  it('not this: the head our request gets fits; only a request from a client address gets the cookies', async () => {
    // nginx sends REMOTE_ADDR; the probe cannot know the client's and sends it empty.
    const stack = await use(phpFpmDebian({ scripts: { 'index.php': `<?php if (!empty($_SERVER['REMOTE_ADDR'])) { ${COOKIE_LOOP} } echo "blog ok\\n";` } }));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.steps.find((s: { node: string }) => s.node === 'header-size')?.outcome, path(report)).toBe('fits-now');
    expect(report.diagnosis.cause).not.toBe('header-too-big');
  });
});
