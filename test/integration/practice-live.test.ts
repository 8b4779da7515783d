import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from './lab/badgateway.js';
import { commandOf, descendants, inNamespace, pidNamespace } from './lab/proc-tree.js';
import { openPty, type Pty } from './lab/pty.js';

/** This machine's nginx configuration: every path under /etc/nginx with its mode and content (or link target). */
function nginxConfig(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      hash.update(`${path} ${stat.mode}\n`);
      if (stat.isSymbolicLink()) hash.update(readlinkSync(path));
      else if (stat.isDirectory()) walk(path);
      else hash.update(readFileSync(path));
    }
  };
  walk('/etc/nginx');
  return hash.digest('hex');
}

/** What listens here on the ports and sockets only the scenarios' stacks use (the lab's other tests use random ports; php-front-controller uses /run/php here). */
function stackListeners(): string[] {
  return execFileSync('ss', ['-lntxH'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /[:.](80|8000|8001|3000)\s|\/run\/(shop|uwsgi)\//.test(l))
    .map((l) => l.replace(/\s+/g, ' ').trim());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROMPT = /root@practice-box:~# $/;

/** Waits (bounded) until no process of `namespace` is left; the ones still there. */
async function allGone(namespace: string, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = inNamespace(namespace);
  while (left.length && Date.now() < deadline) {
    await sleep(200);
    left = inNamespace(namespace);
  }
  return left.map((pid) => `${pid} ${commandOf(pid)}`);
}

/** The box's PID namespace, from the processes under the session's terminal. */
function boxNamespace(pty: Pty): string {
  const own = pidNamespace('self');
  const inBox = descendants(pty.pid)
    .map(pidNamespace)
    .find((ns) => ns && ns !== own);
  if (!inBox) throw new Error('no process of the session runs in a PID namespace of its own');
  return inBox;
}

const ptys: Pty[] = [];
afterEach(() => {
  for (const p of ptys.splice(0)) p.kill();
});
const session = (scenario: string) => {
  const pty = openPty([process.execPath, CLI, 'practice', '--live', scenario]);
  ptys.push(pty);
  return pty;
};

describe('badgateway practice --live on a pseudo-terminal', () => {
  it('api-after-reboot: ticket, a shell in the box, two hints (one the plain wizard), the fix typed, "fixed", the real check and the score', async () => {
    const config = nginxConfig();
    const listeners = stackListeners();
    const pty = session('api-after-reboot');
    await pty.waitFor(PROMPT, 60_000);
    const screen = pty.screen();
    expect(screen).toContain('"Since this morning api.example only says "502 Bad Gateway".');
    expect(screen).toContain('[practice api-after-reboot: type fixed when it works, badgateway for a hint, exit to leave]');
    // The box's nginx answers 502 inside, and nothing of it listens out here.
    expect(stackListeners()).toEqual(listeners);
    const namespace = boxNamespace(pty);

    // Root in the box, yet this machine's files outside the box's own copies are read-only there.
    pty.type('touch /usr/local/bgw-practice-probe; echo touch=$?\n');
    await pty.waitFor(/Read-only file system[\s\S]*touch=1/);
    expect(existsSync('/usr/local/bgw-practice-probe')).toBe(false);
    pty.type('curl -s -o /dev/null -w "status=%{http_code}\\n" http://api.example/\n');
    await pty.waitFor(/status=502/);
    // A hint: badgateway itself, run in the box, finds the cause there.
    pty.type('badgateway --json --url http://api.example/ | grep -o \'"cause": *"[a-z-]*"\' | head -1\n');
    await pty.waitFor(/"cause": *"backend-down"/, 60_000);
    // Plain badgateway (the wizard, here without a terminal) is a hint too; --help is not.
    pty.type('badgateway </dev/null; badgateway --help >/dev/null\n');
    await pty.waitFor(/the wizard needs a terminal/);
    pty.type('service shop-api start\n');
    await sleep(500);
    pty.type('fixed\n');
    const end = await pty.waitFor(/The box is gone/, 90_000);
    expect(end).toContain('✓ http://api.example/ answers 200 through nginx');
    expect(end).toContain('✓ nginx -t: the configuration test passes');
    expect(end).toContain('✓ the other site http://status.example/ still answers');
    expect(end).toContain('✓ after a restart of the box (service shop-api start; nginx) it still answers: the fix is durable');
    expect(end).toMatch(/Fixed in \d+:\d\d \(par 3 min\), 2 hints\./);
    expect(end).toMatch(/Score: 80\/100/);
    expect(await pty.exited).toBe(0);

    expect(await allGone(namespace)).toEqual([]);
    expect(nginxConfig()).toBe(config);
    expect(stackListeners()).toEqual(listeners);
  }, 180_000);

  it('a fix that does not last is not accepted: a second gunicorn started by hand; left, checked, refused, given up (exit 1)', async () => {
    const pty = session('shop-after-deploy');
    await pty.waitFor(PROMPT, 60_000);
    // gunicorn started by hand on the socket nginx dials answers now, but the box does not start it at boot.
    pty.type('gunicorn --daemon --chdir /srv/shop --bind unix:/run/shop/gunicorn.sock app:app; sleep 2; echo started=$?\n');
    await pty.waitFor(/started=0/);
    pty.type('exit\n');
    await pty.waitFor(/\[c\] check it now/);
    pty.type('c\n');
    const checked = await pty.waitFor(/Not fixed yet/, 90_000);
    expect(checked).toContain('✓ http://shop.example/ answers 200 through nginx');
    expect(checked).toContain('✗ after a restart of the box (supervisord -c /etc/supervisor/supervisord.conf; nginx) it answers 502: the fix did not last');
    pty.type('q\n');
    await pty.waitFor(/The box is gone/);
    expect(await pty.exited).toBe(1);
  }, 180_000);

  it('the wizard killed with SIGKILL mid-session: every process of the box ends, and this machine is as it was', async () => {
    const config = nginxConfig();
    const listeners = stackListeners();
    const pty = session('shop-maintenance');
    await pty.waitFor(PROMPT, 60_000);
    const namespace = boxNamespace(pty);
    const wizard = descendants(pty.pid).find((pid) => commandOf(pid).includes('practice --live'));
    expect(wizard).toBeTypeOf('number');
    expect(inNamespace(namespace).map(commandOf).join('\n')).toMatch(/nginx: master process[\s\S]*supervisord|supervisord[\s\S]*nginx: master process/);
    process.kill(wizard as number, 'SIGKILL');
    expect(await allGone(namespace)).toEqual([]);
    await pty.exited;
    expect(nginxConfig()).toBe(config);
    expect(stackListeners()).toEqual(listeners);
  }, 120_000);

  it('Ctrl-C stops what runs in the shell, not the session; at the question after leaving it gives up (exit 1) and the box ends', async () => {
    const pty = session('blog-php-update');
    await pty.waitFor(PROMPT, 60_000);
    const namespace = boxNamespace(pty);
    pty.type('sleep 100\n');
    await sleep(500);
    pty.type('\x03');
    pty.type('echo still=here\n');
    await pty.waitFor(/still=here/);
    pty.type('exit\n');
    await pty.waitFor(/\[c\] check it now/);
    pty.type('\x03');
    await pty.waitFor(/Left unfixed: the cause was socket-missing/);
    expect(await pty.exited).toBe(1);
    expect(await allGone(namespace)).toEqual([]);
  }, 120_000);

  it('a closed terminal (its pseudo-terminal gone) ends the session and the box', async () => {
    const config = nginxConfig();
    const pty = session('node-api-cleanup');
    await pty.waitFor(PROMPT, 60_000);
    const namespace = boxNamespace(pty);
    pty.kill();
    expect(await allGone(namespace)).toEqual([]);
    expect(nginxConfig()).toBe(config);
  }, 120_000);

  it('with no scenario named, shows the menu by symptom and refuses an answer that names none (exit 2, no box built)', async () => {
    const pty = openPty([process.execPath, CLI, 'practice', '--live']);
    ptys.push(pty);
    const menu = await pty.waitFor(/number or name: $/, 30_000);
    expect(menu).toMatch(/ 1 {2}\*\.\.\.\. {2}api-after-reboot +api\.example answers 502 since the night/);
    expect(menu).not.toContain('backend-down');
    pty.type('99\n');
    expect(await pty.exited).toBe(2);
    expect(pty.screen()).toContain('no live scenario 99; badgateway practice --live --list shows them');
  }, 60_000);

  it('--list --json: every scenario by id, symptom, difficulty and stack, easiest first, never its cause', async () => {
    const run = await runCli(['practice', '--live', '--list', '--json']);
    expect(run.code).toBe(0);
    const listed = JSON.parse(run.stdout);
    expect(listed[0]).toEqual({ id: 'api-after-reboot', symptom: 'api.example answers 502 since the night', difficulty: 1, stack: 'init-script' });
    expect(listed).toHaveLength(35);
    expect(run.stdout).not.toMatch(/cause|backend-down|socket-missing/);
  });

  it('without a terminal, refuses before building anything (exit 2)', async () => {
    const run = await runCli(['practice', '--live', 'api-after-reboot']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('practice --live needs a terminal');
  });

  it('refuses without root, saying why (exit 3)', async () => {
    const pty = openPty(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'practice', '--live', 'api-after-reboot']);
    ptys.push(pty);
    expect(await pty.exited).toBe(3);
    expect(pty.screen()).toContain('practice --live needs root');
  }, 30_000);
});
