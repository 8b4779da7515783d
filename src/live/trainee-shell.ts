import { spawn } from 'node:child_process';
import { commandLine, quote } from '../shell/quote.js';
import type { Box } from './box.js';

/** Where the session keeps its files inside the box (its own tmpfs /run: gone with the box). */
const HERE = '/run/badgateway-live';
const HINTS = `${HERE}/hints`;
const FIXED = `${HERE}/fixed`;
const RC = `${HERE}/bashrc`;
const PATH = `${HERE}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

/**
 * Puts the session's tools into the box: `badgateway` (this very build, counted as a hint each time it runs
 * for anything but --help) and a bash rc whose prompt says where the trainee is, how to say done (`fixed`)
 * and how to leave.
 */
export function furnish(box: Box, scenarioId: string, cli: { node: string; script: string }): void {
  box.write(
    `${HERE}/bin/badgateway`,
    `#!/bin/sh\n# badgateway in a practice box: every run but --help is a hint, and counted.\ncase "$1" in -h|--help|-V|--version) ;; *) echo "$*" >> ${HINTS} ;; esac\nexec ${commandLine([cli.node, cli.script])} "$@"\n`,
    0o755,
  );
  const banner = `practice ${scenarioId}: type fixed when it works, badgateway for a hint, exit to leave`;
  box.write(
    RC,
    [
      '[ -r /etc/bash.bashrc ] && . /etc/bash.bashrc',
      `export PATH=${quote(PATH)}`,
      'export HISTFILE=/root/.bash_history PM2_HOME=/root/.pm2',
      `fixed() { : > ${FIXED}; exit 0; }`,
      `PS1=${quote(`\\[\\e[1;33m\\][${banner}]\\[\\e[0m\\]\\n\\u@practice-box:\\w\\$ `)}`,
      'cd /root',
      '',
    ].join('\n'),
  );
  box.run(['touch', HINTS]);
}

/**
 * An interactive bash inside the box's namespaces on this terminal; resolves when it ends, with whether the
 * trainee said `fixed`. The terminal's signals go to the shell: the caller ignores SIGINT meanwhile.
 */
export function openShell(box: Box): Promise<{ fixed: boolean }> {
  box.run(['rm', '-f', FIXED]);
  const argv = box.exec(['env', '-i', `TERM=${process.env.TERM || 'xterm'}`, 'HOME=/root', `PATH=${PATH}`, 'bash', '--rcfile', RC, '-i']);
  return new Promise((resolve, reject) => {
    const shell = spawn(argv[0] as string, argv.slice(1), { stdio: 'inherit' });
    shell.once('error', reject);
    shell.once('exit', () => {
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
