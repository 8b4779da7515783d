import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/args.js';

describe('the command line', () => {
  it('reads the modes and their options', () => {
    expect(parseArgs([])).toMatchObject({ kind: 'diagnose', json: false, url: null, hosts: [] });
    expect(parseArgs(['--url=http://shop.test/a', '--json'])).toMatchObject({ kind: 'diagnose', json: true, url: 'http://shop.test/a' });
    expect(parseArgs(['--ssh', 'root@web1', '--host', 'app=root@app1'])).toMatchObject({ hosts: [{ role: 'proxy', target: 'root@web1' }, { role: 'app', target: 'root@app1' }] });
    expect(parseArgs(['practice', '--list', '--json'])).toMatchObject({ kind: 'practice', list: true, json: true });
    expect(parseArgs(['lint', 'flows/a.yaml'])).toEqual({ kind: 'lint', paths: ['flows/a.yaml'] });
    expect(parseArgs(['--version'])).toEqual({ kind: 'version' });
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
    [['--host', 'app=a', '--host', 'app=b'], /the role app is given twice/],
    [['--ssh', 'a', '--host', 'proxy=b'], /the role proxy is given twice/],
    [['--replay', 'r.json', '--ssh', 'a'], /takes no --ssh or --host/],
    [['--replay', 'r.json', '--url', 'http://x/'], /takes no --url/],
    [['--replay', 'r.json', '--record', 'o.json'], /would only copy the recording/],
    [['undo', 'practice'], /undo takes only/],
    [['undo', 'lint'], /undo takes only/],
    [['undo', '--record', 'x.json'], /undo takes only/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${argv.join(' ')} with a usage error that says why`, () => {
      expect(() => parseArgs(argv)).toThrow(UsageError);
      expect(() => parseArgs(argv)).toThrow(message);
    });
  }
});
