import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/args.js';

describe('the command line', () => {
  it('reads the modes and their options', () => {
    expect(parseArgs([])).toMatchObject({ kind: 'diagnose', json: false, url: null, hosts: [] });
    expect(parseArgs(['--url=http://shop.test/a', '--json'])).toMatchObject({ kind: 'diagnose', json: true, url: 'http://shop.test/a' });
    expect(parseArgs(['--ssh', 'root@web1', '--host', 'app=root@app1'])).toMatchObject({
      hosts: [
        { role: 'proxy', target: 'root@web1' },
        { role: 'app', target: 'root@app1' },
      ],
    });
    expect(parseArgs(['practice', '--list', '--json'])).toMatchObject({ kind: 'practice', list: true, json: true });
    expect(parseArgs(['lint', 'flows/a.yaml'])).toEqual({ kind: 'lint', paths: ['flows/a.yaml'] });
    expect(parseArgs(['--version'])).toEqual({ kind: 'version' });
    expect(parseArgs([])).toMatchObject({ sinceMs: null });
    expect(parseArgs(['--since', '30m']).kind === 'diagnose' && parseArgs(['--since', '30m'])).toMatchObject({ sinceMs: 30 * 60_000 });
    expect(parseArgs(['--since=2h', '--json'])).toMatchObject({ sinceMs: 2 * 3600_000, json: true });
    expect(parseArgs(['--since', '1d'])).toMatchObject({ sinceMs: 86_400_000 });
  });

  it('reads route: the URL, headers by lower-case name, and a Host header apart from the others', () => {
    expect(parseArgs(['route', '--url', 'http://127.0.0.1:8080/a?b=1'])).toEqual({
      kind: 'route',
      json: false,
      url: 'http://127.0.0.1:8080/a?b=1',
      hostHeader: null,
      headers: {},
      hosts: [],
      acceptNewHostKey: false,
    });
    const mode = parseArgs(['route', '--json', '--url=http://127.0.0.1/', '--header', 'Host: shop.example', '--header=X-Forwarded-Proto:https', '--ssh', 'root@web1', '--accept-new-host-key']);
    expect(mode).toEqual({
      kind: 'route',
      json: true,
      url: 'http://127.0.0.1/',
      hostHeader: 'shop.example',
      headers: { 'x-forwarded-proto': 'https' },
      hosts: [{ role: 'proxy', target: 'root@web1' }],
      acceptNewHostKey: true,
    });
  });

  it('joins a header given twice as nginx does (cookies with "; ")', () => {
    const mode = parseArgs(['route', '--url', 'http://x/', '--header', 'Accept: a', '--header', 'accept:  b ', '--header', 'Cookie: x=1', '--header', 'Cookie: y=2', '--header', 'X-Empty:']);
    expect(mode).toMatchObject({ headers: { accept: 'a, b', cookie: 'x=1; y=2', 'x-empty': '' } });
  });

  it('route --help is the help', () => {
    expect(parseArgs(['route', '--help'])).toEqual({ kind: 'help' });
  });

  it('takes every form of SSH target ssh itself takes, and ~/.ssh/config aliases', () => {
    for (const target of ['web1', 'root@web1', 'root@web1:2222', 'ssh://deploy@web1:2222', '[::1]:2222', 'root@[fe80::1%eth0]:22', '::1', 'my-alias_2', '10.0.0.1']) {
      expect(parseArgs(['--ssh', target]), target).toMatchObject({ hosts: [{ role: 'proxy', target }] });
    }
  });

  const bad: [string[], RegExp][] = [
    [['--frobnicate'], /unknown argument --frobnicate/],
    [['toString'], /unknown argument toString/],
    [['constructor'], /unknown argument constructor/],
    [['--ssh'], /--ssh needs a value/],
    [['--ssh', '--json'], /--ssh needs a value/],
    [['--url', '--json'], /--url needs a value/],
    [['--url='], /--url needs a value/],
    [['--host', 'root@web1'], /--host needs ROLE=/],
    [['--host', '1x=root@web1'], /with a role such as proxy or app/],
    [['--host', 'app='], /needs a target/],
    [['--host', 'constructor=root@web1'], /constructor is a reserved name/],
    [['--host', '__proto__=root@web1'], /a role is a word/],
    [['--ssh', '@'], /"@" is not an SSH target: the user name before @ is empty/],
    [['--ssh', 'root@'], /is not an SSH target: the host is empty/],
    [['--ssh', 'web1:99999'], /the port "99999" is not a number from 1 to 65535/],
    [['--ssh', 'a b'], /"a b" is not a host name/],
    [['--ssh', '-oProxyCommand=touch /tmp/x'], /is not an SSH target/],
    [['--ssh', '[::1'], /the \[ has no closing \]/],
    [['--host', 'app=web1:0'], /is not a number from 1 to 65535/],
    [['route', '--url', 'http://x/', '--ssh', 'a@b@'], /is not an SSH target/],
    [['--host', 'app=a', '--host', 'app=b'], /the role app is given twice/],
    [['--ssh', 'a', '--host', 'proxy=b'], /the role proxy is given twice/],
    [['--replay', 'r.json', '--ssh', 'a'], /takes no --ssh or --host/],
    [['--replay', 'r.json', '--url', 'http://x/'], /takes no --url/],
    [['--since', 'yesterday'], /--since needs a duration such as 30m, 2h or 1d \(got yesterday\)/],
    [['--since', '2 h'], /--since needs a duration/],
    [['--since', '0m'], /--since needs a duration/],
    [['--replay', 'r.json', '--since', '2h'], /reads the window that was recorded: it takes no --since/],
    [['--since'], /--since needs a value/],
    [['undo', '--since', '2h'], /undo takes only/],
    [['--replay', 'r.json', '--record', 'o.json'], /would only copy the recording/],
    [['undo', 'practice'], /undo takes only/],
    [['undo', 'lint'], /undo takes only/],
    [['undo', '--record', 'x.json'], /undo takes only/],
    [['undo', 'route'], /undo takes only/],
    [['route'], /route needs the request: --url URL/],
    [['route', '--json'], /route needs the request/],
    [['route', '--url'], /--url needs a value/],
    [['route', '--url', 'http://x/', '--header'], /--header needs a value/],
    [['route', '--url', 'http://x/', '--header', '--json'], /--header needs a value/],
    [['route', '--url', 'http://x/', '--header='], /--header needs a value/],
    [['route', '--url', 'http://x/', '--header', 'X-Debug'], /--header needs 'Name: value'/],
    [['route', '--url', 'http://x/', '--header', ': v'], /--header needs 'Name: value'/],
    [['route', '--url', 'http://x/', '--header', 'Bad Name: v'], /--header needs 'Name: value'/],
    [['route', '--url', 'http://x/', '--header', 'Host: a', '--header', 'host: b'], /Host header is given twice/],
    [['route', '--url', 'http://x/', '--header', 'Host:'], /Host header is empty/],
    [['route', '--url', 'http://x/', '--record', 'r.json'], /route takes --url, --header/],
    [['route', '--url', 'http://x/', '--replay', 'r.json'], /route takes --url, --header/],
    [['route', '--url', 'http://x/', '--flow', 'f.yaml'], /route takes --url, --header/],
    [['route', '--url', 'http://x/', '--report', 'r.md'], /route takes --url, --header/],
    [['route', 'undo'], /route takes --url, --header/],
    [['route', 'lint'], /route takes --url, --header/],
    [['route', '--url', 'http://x/', 'extra'], /unknown argument extra/],
    [['route', '--url', 'http://x/', '--ssh', 'a', '--host', 'proxy=b'], /the role proxy is given twice/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${argv.join(' ')} with a usage error that says why`, () => {
      expect(() => parseArgs(argv)).toThrow(UsageError);
      expect(() => parseArgs(argv)).toThrow(message);
    });
  }
});
