import { describe, expect, it } from 'vitest';
import { cleanStderr, describePrivilege, fromPasswordCheck, fromSudoProbe, isRoot, makeMarkers, remoteCommand, sudoProgress } from '../../../../src/hosts/ssh/sudo.js';
import { run } from './fixture.js';

const markers = makeMarkers('0123456789ab');

describe('the privilege decision, on real sudo output over SSH', () => {
  it('id -u: root or not', () => {
    expect(isRoot(run('id-root'))).toBe(true);
    expect(isRoot(run('id-user'))).toBe(false);
    expect(isRoot({ code: null, stdout: '', stderr: '', failure: 'timeout' })).toBeNull();
  });

  it('sudo -n true succeeds: sudo without a password', () => {
    expect(fromSudoProbe(run('sudo-probe-nopasswd'))).toEqual({ mode: 'sudo' });
  });

  it('sudo asks for a password: the caller is asked for one', () => {
    expect(fromSudoProbe(run('sudo-probe-password'))).toMatchObject({ mode: 'needs-password' });
    // sudo says the same to a user with no rule at all: only the password attempt tells them apart.
    expect(fromSudoProbe(run('sudo-probe-not-in-sudoers'))).toMatchObject({ mode: 'needs-password' });
  });

  it('sudo missing: unprivileged, and why', () => {
    expect(fromSudoProbe(run('sudo-probe-missing'))).toEqual({ mode: 'unprivileged', reason: 'sudo-missing', detail: 'sudo is not installed' });
  });

  it('sudo refusing outright: unprivileged with its words', () => {
    expect(fromSudoProbe({ code: 1, stdout: '', stderr: 'Sorry, user bgw-ssh may not run sudo on web1.\n' })).toEqual({
      mode: 'unprivileged',
      reason: 'sudo-refused',
      detail: 'Sorry, user bgw-ssh may not run sudo on web1.',
    });
  });

  it('the password check: right, wrong, or not in sudoers', () => {
    expect(fromPasswordCheck(run('sudo-password-right'))).toEqual({ ok: true });
    expect(fromPasswordCheck(run('sudo-password-wrong'))).toMatchObject({ ok: false, reason: 'wrong' });
    expect(fromPasswordCheck(run('sudo-password-not-in-sudoers'))).toEqual({ ok: false, reason: 'refused', detail: 'bgw-ssh is not in the sudoers file.' });
  });

  it('says in one line how commands run', () => {
    expect(describePrivilege({ mode: 'root' }, 'root')).toBe('as root (root)');
    expect(describePrivilege(fromSudoProbe(run('sudo-probe-missing')), 'deploy')).toContain('unprivileged: sudo is not installed');
  });
});

describe('remoteCommand', () => {
  const argv = ['cat', "/etc/nginx/it's here.conf"];

  it('root or unprivileged: env with sbin in PATH and LC_ALL=C, values quoted', () => {
    expect(remoteCommand(argv, { mode: 'root' }, markers)).toBe(`env LC_ALL=C PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" cat '/etc/nginx/it'\\''s here.conf'`);
  });

  it('sudo -n --', () => {
    expect(remoteCommand(['id', '-u'], { mode: 'sudo' }, markers)).toBe(`sudo -n -- env LC_ALL=C PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" id -u`);
  });

  it('sudo -S -k with our prompt, and a ready line before the command: what was sent in the real capture', () => {
    expect(remoteCommand(['true'], { mode: 'sudo-password' }, markers)).toBe(run('sudo-password-right').command);
    expect(remoteCommand(['id', '-u'], { mode: 'sudo' }, markers)).toBe(run('sudo-nopasswd-id').command);
  });

  it('with a kill time, coreutils timeout runs the command on the box (inside sudo, so it may kill it)', () => {
    expect(remoteCommand(['sleep', '5'], { mode: 'root' }, markers, 11)).toBe(`env LC_ALL=C PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" timeout -s KILL 11 sleep 5`);
    expect(remoteCommand(['id'], { mode: 'sudo' }, markers, 3)).toBe(`sudo -n -- env LC_ALL=C PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" timeout -s KILL 3 id`);
    expect(remoteCommand(['id'], { mode: 'sudo-password' }, markers, 3)).toMatch(/ sh timeout -s KILL 3 id$/);
  });

  it('the password is never part of the command line', () => {
    expect(run('sudo-password-right').command).not.toContain('Bgw-Test-Pass-1');
  });
});

describe('sudo -S progress from stderr', () => {
  it("counts prompts and sees the ready line; cleanStderr leaves the command's own words", () => {
    expect(sudoProgress('', markers)).toEqual({ prompts: 0, ready: false });
    expect(sudoProgress(markers.prompt, markers)).toEqual({ prompts: 1, ready: false });
    const after = `${markers.prompt}${markers.ready}\nnginx: the configuration file is ok\n`;
    expect(sudoProgress(after, markers)).toEqual({ prompts: 1, ready: true });
    expect(cleanStderr(after, markers)).toBe('nginx: the configuration file is ok\n');
    expect(sudoProgress(`${markers.prompt}Sorry, try again.\n${markers.prompt}`, markers).prompts).toBe(2);
  });
});
