import { spawn } from 'node:child_process';
import { commandLine, quote } from '../shell/quote.js';
import type { Box } from './box.js';

/** Where the session keeps its files inside the box (its own tmpfs /run: gone with the box). */
const HERE = '/run/badgateway-live';
const HINTS = `${HERE}/hints`;
const FIXED = `${HERE}/fixed`;
const RC = `${HERE}/bashrc`;
const STATE = `${HERE}/state`;
const PATH = `${HERE}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

/**
 * Puts the session's tools into the box: `badgateway` (this very build, counted as a hint each time it runs
 * for anything but --help) and a bash rc whose prompt says where the trainee is, how to say done (`fixed`)
 * and how to leave.
 */
export function furnish(box: Box, scenarioId: string, cli: { node: string; script: string }): void {
  box.write(
    `${HERE}/bin/badgateway`,
    `#!/bin/sh\n# badgateway in a practice box: every run but --help is a hint, and counted.\ncase "$1" in -h|--help|-V|--version) ;; *) echo "run: $*" >> ${HINTS} ;; esac\nexport BADGATEWAY_STATE_DIR=${STATE}\nexec ${commandLine([cli.node, cli.script])} "$@"\n`,
    0o755,
  );
  const banner = `practice ${scenarioId}: type fixed when it works, badgateway for a hint, exit to leave`;
  box.write(
    RC,
    [
      '[ -r /etc/bash.bashrc ] && . /etc/bash.bashrc',
      `export PATH=${quote(PATH)}`,
      `export HISTFILE=/root/.bash_history PM2_HOME=/root/.pm2 BADGATEWAY_STATE_DIR=${STATE}`,
      `fixed() { : > ${FIXED}; exit 0; }`,
      `PS1=${quote(`\\[\\e[1;33m\\][${banner}]\\[\\e[0m\\]\\n\\u@practice-box:\\w\\$ `)}`,
      'cd /root',
      '',
    ].join('\n'),
  );
  box.run(['touch', HINTS]);
}

/**
 * An interactive bash inside the box's namespaces, relayed to this terminal; resolves when it ends, with
 * whether the trainee said `fixed`. The caller ignores SIGINT meanwhile (script(1) passes Ctrl-C on to the shell).
 */
export function openShell(box: Box): Promise<{ fixed: boolean }> {
  box.run(['rm', '-f', FIXED]);
  // script(1) gives the shell a terminal of its own: bash's job control then takes that one, not ours, whose
  // foreground it could not hand back (our process group is outside the box's PID namespace).
  const shell = commandLine(['bash', '--rcfile', RC, '-i']);
  const argv = box.exec(['env', '-i', `TERM=${process.env.TERM || 'xterm'}`, 'HOME=/root', `PATH=${PATH}`, 'SHELL=/bin/bash', 'script', '-q', '-e', '-c', shell, '/dev/null']);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', () => {
      let fixed = false;
      try {
        box.run(['test', '-e', FIXED]);
        fixed = true;
      } catch {
        fixed = false;
      }
      resolve({ fixed });
    });
  });
}

/** How many hints the trainee asked for (runs of badgateway inside the box). */
export function hintsUsed(box: Box): number {
  try {
    return box.read(HINTS).split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}
