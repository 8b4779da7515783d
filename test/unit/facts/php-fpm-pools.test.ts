import { describe, expect, it } from 'vitest';
import { FPM_FIND_BINARIES, FPM_PS, fpmPlan, fpmPools } from '../../../src/facts/php-fpm-pools.js';
import { answerFpm } from './fpm-answers.js';
import { failed, fixture, ran, runPlan } from '../checks/fixtures.js';

describe('finding every php-fpm pool on the box', () => {
  const done = runPlan((d) => fpmPlan(d), answerFpm);
  const { pools, evidence } = fpmPools(done);

  /** The rounds fpmPlan takes against these answers, and every command it asked. */
  const roundsWith = (answer: (argv: string[]) => ReturnType<typeof answerFpm>) => {
    const asked: NonNullable<ReturnType<typeof answerFpm>>[] = [];
    let rounds = 0;
    for (let batch = fpmPlan([]); batch.length && rounds < 10; batch = fpmPlan(asked)) {
      rounds++;
      asked.push(...batch.map((spec) => answer([...spec.argv]) ?? failed([...spec.argv])));
    }
    return { rounds, asked };
  };

  it('two rounds on a box laid out as packages lay it out: the masters and installs; then binaries, configs, tests and pool files at once', () => {
    const { rounds, asked } = roundsWith(answerFpm);
    expect(rounds).toBe(2);
    expect(asked.filter((r) => r.argv[0] === 'cat').map((r) => r.argv[2])).not.toContain('/tmp/fpmcap/a/pool.d/app.conf');
    expect(fpmPools(asked).pools.map((p) => p.name)).toEqual(pools.map((p) => p.name));
  });

  it('not this: a master whose binary only its readlink names waits a third round for its test', () => {
    const { rounds, asked } = roundsWith((argv) => (argv.join(' ') === FPM_FIND_BINARIES.join(' ') ? failed(argv) : answerFpm(argv)));
    expect(rounds).toBe(3);
    expect(asked.at(-1)?.argv.join(' ')).toBe('/usr/sbin/php-fpm8.2 -tt -y /tmp/fpmcap/a/php-fpm.conf');
  });

  it('not this: a pool file whose text holds the separator cannot pass another path off as a pool file', () => {
    const hostile = (argv: string[]) => {
      const answer = answerFpm(argv);
      if (argv[0] !== 'sh' || argv[4] !== '/tmp/fpmcap/a/pool.d' || !answer) return answer;
      return { ...answer, stdout: answer.stdout.replace('[shop]', '[shop]\n\x1e/etc/passwd\n[shop]\nlisten.mode = 0666') };
    };
    const { asked } = roundsWith(hostile);
    const shop = fpmPools(asked).pools.find((p) => p.name === 'shop');
    expect(JSON.stringify(shop?.places)).not.toContain('/etc/passwd');
    expect(shop?.section?.file).toBe('/tmp/fpmcap/a/pool.d/app.conf');
  });

  it('asks php-fpm itself about each running master and each installed config, in a few rounds', () => {
    const tests = done.filter((r) => r.argv[1] === '-tt').map((r) => r.argv.join(' '));
    expect(tests).toEqual(
      expect.arrayContaining([
        '/usr/sbin/php-fpm8.2 -tt -y /tmp/fpmcap/a/php-fpm.conf',
        '/usr/sbin/php-fpm8.2 -tt -y /tmp/fpmcap/b/php-fpm.conf',
        '/usr/sbin/php-fpm8.2 -tt -y /etc/php/8.2/fpm/php-fpm.conf',
      ]),
    );
    // Each command once.
    expect(new Set(done.map((r) => r.argv.join('\0'))).size).toBe(done.length);
  });

  it("knows each pool's master, listen value and the line to edit", () => {
    const shop = pools.find((p) => p.name === 'shop');
    expect(shop).toMatchObject({ masterPid: 9829, binary: '/usr/sbin/php-fpm8.2', conf: '/tmp/fpmcap/a/php-fpm.conf', errorLog: '/tmp/fpmcap/a/php-fpm.log' });
    expect(shop?.values).toMatchObject({ listen: '/tmp/fpmcap/run/shop.sock', 'listen.mode': '0600' });
    expect(shop?.places['listen.mode']).toEqual({ file: '/tmp/fpmcap/a/pool.d/app.conf', line: 9, text: 'listen.mode = 0600' });
    // The readlink of b's master failed: its binary is the installed one of php-fpm's only version.
    expect(pools.find((p) => p.name === 'main')).toMatchObject({ masterPid: 9830, binary: '/usr/sbin/php-fpm8.2', values: { listen: '127.0.0.1:9071' } });
    expect(pools.find((p) => p.name === 'api')?.places.listen).toEqual({ file: '/tmp/fpmcap/b/pool.d/api.conf', line: 4, text: 'listen = /tmp/fpmcap/run/$pool.sock' });
    expect(pools.find((p) => p.name === 'www')).toMatchObject({ masterPid: null, conf: '/etc/php/8.2/fpm/php-fpm.conf', values: { listen: '/run/php/php8.2-fpm.sock' } });
  });

  it('not this: a config php-fpm cannot read yields no pool, and the evidence says why', () => {
    expect(pools.filter((p) => p.conf === '/tmp/cc/fpm/php-fpm.conf')).toEqual([]);
    expect(JSON.stringify(evidence)).toContain('php-fpm rejects this config: failed to open configuration file');
  });

  it('not this: a box without php-fpm asks three commands and finds nothing', () => {
    const none = runPlan(
      (d) => fpmPlan(d),
      (argv) => (argv.join(' ') === FPM_PS.join(' ') ? ran(argv, fixture('service/ps-pm2-children.txt')) : failed(argv)),
    );
    expect(none).toHaveLength(3);
    expect(fpmPools(none).pools).toEqual([]);
  });
});
