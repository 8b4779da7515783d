import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine, quote, shownCommand } from '../../../src/shell/quote.js';
import { stripControl } from '../../../src/shell/sanitize.js';
import { HOSTILE as HOSTILE_TEXT, HOSTILE_PIECES, firstRawControl, randomHostile, seeded } from '../../hostile.js';

const HOSTILE = ['/var/log/nginx/e$(touch x)`id`;y.log', "it's", '-rf', '', 'a b', 'line\nbreak', '*.conf', '$HOME', '"double"', '\\back', "'", 'plain/path.conf'];

describe('quote', () => {
  it('round-trips every hostile value through a real shell unchanged', () => {
    for (const value of HOSTILE) {
      const echoed = execFileSync('sh', ['-c', `printf '%s' ${quote(value)}`], { encoding: 'utf8' });
      expect(echoed).toBe(value);
    }
  });

  it('leaves plain words readable', () => {
    expect(commandLine(['nginx', '-c', '/etc/nginx/nginx.conf', '-s', 'reload'])).toBe('nginx -c /etc/nginx/nginx.conf -s reload');
  });

  it('quotes nothing it does not need to: options stay options (values go after --)', () => {
    expect(quote('-rf')).toBe('-rf');
    expect(quote('a b')).toBe("'a b'");
  });
});

/** What bash makes of a shown command line: each argument printf receives, one per NUL-ended field. */
function argvOf(shown: string): string[] {
  const out = execFileSync('bash', ['--norc', '-c', `printf '%s\\0' ${shown}`], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  return out.split('\0').slice(0, -1);
}

describe('a command line shown to a person', () => {
  it("shows -g 'daemon off;' as one argument, and pasting it gives back the argv", () => {
    const argv = ['/usr/sbin/nginx', '-c', '/etc/nginx/nginx.conf', '-g', 'daemon off;', '-T'];
    const shown = shownCommand(argv);
    expect(shown).toBe("/usr/sbin/nginx -c /etc/nginx/nginx.conf -g 'daemon off;' -T");
    expect(argvOf(shown)).toEqual(argv);
  });

  it('quotes a path holding $(...) so that pasting it runs nothing', () => {
    const argv = ['tail', '-c', '+1', '--', '/var/log/nginx/$(touch /tmp/bgw-pwned)`id`.log'];
    const shown = shownCommand(argv);
    expect(argvOf(shown)).toEqual(argv);
    expect(shown).toContain("'/var/log/nginx/$(touch /tmp/bgw-pwned)`id`.log'");
  });

  it('writes controls and invisible characters as visible escapes: nothing raw is shown, and bash reads back the same bytes', () => {
    const values = [...HOSTILE_PIECES.filter((p) => !p.includes('\x00')), HOSTILE_TEXT.replace(/\x00/g, ''), 'tab\there', 'line\nbreak', "it's \\ $'x'"];
    for (const value of values) {
      const shown = commandLine(['printf', value], 'person');
      expect(firstRawControl(shown), JSON.stringify(value)).toBeNull();
      expect(stripControl(shown)).toBe(shown);
      expect(argvOf(commandLine([value], 'person')), JSON.stringify(value)).toEqual([value]);
    }
  });

  it('over 300 random hostile argvs: the shown line holds no raw control and bash parses it back to the same argv', () => {
    const random = seeded(2);
    for (let i = 0; i < 300; i++) {
      const argv = [0, 1, 2].map(() => randomHostile(random, 4).replace(/\x00/g, ''));
      const shown = commandLine(argv, 'person');
      expect(firstRawControl(shown), JSON.stringify(argv)).toBeNull();
      expect(argvOf(shown), JSON.stringify(argv)).toEqual(argv);
    }
  });

  it('joins commands that ran one after another with ;, each quoted', () => {
    expect(shownCommand(['ss', '-Hltnxp'], ['ps', '-eo', 'pid,args'])).toBe('ss -Hltnxp; ps -eo pid,args');
  });

  it('a plain command reads as it did', () => {
    expect(shownCommand(['nginx', '-V'])).toBe('nginx -V');
  });
});
