import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine, quote } from '../../../src/shell/quote.js';
import { stripControl } from '../../../src/shell/sanitize.js';

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

describe('stripControl', () => {
  it('removes colour, cursor and title sequences and bare control characters', () => {
    expect(stripControl('\x1b[31mred\x1b[0m \x1b]0;title\x07ok\x1b[2J\rdone\x00')).toBe('red okdone');
  });

  it('keeps tabs and newlines', () => {
    expect(stripControl('a\tb\nc')).toBe('a\tb\nc');
  });
});
