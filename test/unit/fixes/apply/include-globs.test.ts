import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { globMatches, includedBy, includePatterns } from '../../../../src/fixes/apply/include-globs.js';
import { parseDump } from '../../../../src/nginx/parse-dump.js';

const DEBIAN = parseDump(readFileSync(new URL('../../../fixtures/nginx-T/debian-stock.txt', import.meta.url), 'utf8'));

describe('include patterns: where a file beside the config would be loaded by nginx', () => {
  it('reads every include of the real Debian config, absolute', () => {
    expect(includePatterns(DEBIAN, '/etc/nginx')).toEqual(
      expect.arrayContaining(['/etc/nginx/modules-enabled/*.conf', '/etc/nginx/mime.types', '/etc/nginx/conf.d/*.conf', '/etc/nginx/sites-enabled/*']),
    );
  });

  it('sites-enabled/* loads any name there, but not a dot-name (glob(3) without GLOB_PERIOD)', () => {
    const patterns = includePatterns(DEBIAN, '/etc/nginx');
    expect(includedBy(patterns, '/etc/nginx/sites-enabled/default.bak')).toBe('/etc/nginx/sites-enabled/*');
    expect(includedBy(patterns, '/etc/nginx/sites-enabled/.default.badgateway-20261121T1Z-ab12')).toBeNull();
    expect(includedBy(patterns, '/etc/nginx/conf.d/.x.conf')).toBeNull();
    expect(includedBy(patterns, '/etc/nginx/conf.d/x.conf')).toBe('/etc/nginx/conf.d/*.conf');
  });

  it('not this: a pattern written to load dot-names does match them; other folders never do', () => {
    expect(globMatches('/etc/nginx/hidden/.*', '/etc/nginx/hidden/.site.badgateway-1')).toBe(true);
    expect(globMatches('/etc/nginx/sites-enabled/*', '/var/lib/badgateway/staging/1/0-default')).toBe(false);
    expect(globMatches('/etc/nginx/sites-enabled/*', '/etc/nginx/sites-enabled/sub/x')).toBe(false);
    expect(globMatches('/etc/nginx/site?-[a-e]nabled/[!x]*', '/etc/nginx/sites-enabled/default')).toBe(true);
  });
});
