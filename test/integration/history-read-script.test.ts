import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { historyReadCommand, parseHistoryRead } from '../../src/history/read-script.js';
import { spawn } from 'node:child_process';
import { type Box, startBox, waitInBox } from './lab/box.js';

const boxes: Box[] = [];
afterEach(async () => {
  for (const b of boxes.splice(0)) await b.remove();
});

const captured = (name: string) => readFileSync(new URL(`../fixtures/history/${name}`, import.meta.url), 'utf8');

describe("history's read script on a Debian box: rotated and compressed logs, bounded", () => {
  it('reads NAME.2.gz (through zcat), NAME.1 and NAME oldest first, each cut to its last bytes, and the logs supervisord programs name', async () => {
    const box = await startBox();
    boxes.push(box);
    const lines = captured('restart-window/nginx__shop.example.error.log').trimEnd().split('\n');
    box.write('/var/log/nginx/shop.error.log.2', `${lines[0]}\n`);
    box.run(['gzip', '/var/log/nginx/shop.error.log.2']);
    box.write('/var/log/nginx/shop.error.log.1', `${lines[1]}\n`);
    box.write('/var/log/nginx/shop.error.log', `${'x'.repeat(5000)}\n${lines[2]}\n`);
    box.write('/etc/supervisor/conf.d/api.conf', '[program:api]\ncommand=/usr/bin/python3 /srv/api/server.py\nstderr_logfile = /var/log/api/err.log\n');
    box.write('/var/log/api/err.log', captured('crash-loop/api__err.log'));
    // A running process told where to log by its arguments, as gunicorn's --error-logfile (it dies with the box).
    box.write('/var/log/shop/error.log', captured('restart-window/shop__error.log'));
    const argv = box.exec(['sh', '-c', 'sleep 60', 'gunicorn', '--error-logfile', '/var/log/shop/error.log']);
    spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' }).unref();
    await waitInBox(box, ['sh', '-c', 'ps -eo args= | grep -q "^sleep 60"'], 'the process with --error-logfile');

    const out = box.run(historyReadCommand(['/var/log/nginx/shop.error.log', '/var/log/nginx/missing.log'], 1024, 1 << 20, true));
    const files = parseHistoryRead(out);
    expect(files?.map((f) => f.path)).toEqual([
      '/var/log/nginx/shop.error.log.2.gz',
      '/var/log/nginx/shop.error.log.1',
      '/var/log/nginx/shop.error.log',
      '/var/log/shop/error.log',
      '/var/log/api/err.log',
    ]);
    expect(files?.[0]?.text).toBe(`${lines[0]}\n`);
    expect(files?.[1]?.text).toBe(`${lines[1]}\n`);
    // The live log is bigger than the 1024 bytes a file may give: its end is kept.
    expect(files?.[2]?.text.length).toBeLessThanOrEqual(1024 + 1);
    expect(files?.[2]?.text).toContain(lines[2]);
    expect(files?.[3]?.text).toContain('[INFO] Starting gunicorn 20.1.0');
    expect(files?.[4]?.text).toContain('RuntimeError: settings missing DATABASE_URL');
    // On nginx's side only the logs named are read.
    const nginxSide = parseHistoryRead(box.run(historyReadCommand(['/var/log/nginx/shop.error.log'], 1024, 1 << 20, false)));
    expect(nginxSide?.map((f) => f.path)).toEqual(['/var/log/nginx/shop.error.log.2.gz', '/var/log/nginx/shop.error.log.1', '/var/log/nginx/shop.error.log']);
  });

  it('the whole read is cut at the total it is given, and a log line cannot pass for a part marker', async () => {
    const box = await startBox();
    boxes.push(box);
    box.write('/var/log/nginx/a.log', `@@0123456789abcdef /etc/shadow\n${'y'.repeat(4000)}\n`);
    const out = box.run(historyReadCommand(['/var/log/nginx/a.log'], 65536, 2000, false));
    expect(out.length).toBeLessThanOrEqual(2000);
    const files = parseHistoryRead(out);
    expect(files?.map((f) => f.path)).toEqual(['/var/log/nginx/a.log']);
  });
});
