/**
 * Captures the logs of the lab's past-incident situations (test/integration/lab/history-situations.ts)
 * into test/fixtures/history/<situation>/, for the parsers' unit tests. Run as root inside the lab's
 * namespaces: unshare --mount --net --pid --fork --mount-proc -- npx tsx scripts/capture-history-logs.ts [NAME...]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as situations from '../test/integration/lab/history-situations.js';

const ALL: Record<string, () => Promise<{ box: { run: (argv: string[]) => string; remove: () => Promise<void> }; statuses: string[] }>> = {
  'restart-window': situations.restartWindow,
  'crash-loop': situations.crashLoopUnderSupervisor,
  'saturated-pool': situations.saturatedPoolEarlier,
  'slow-endpoint': situations.slowEndpointEarlier,
  'dead-server': situations.deadServerBehindLiveOne,
  'unlogged-gap': situations.unloggedGap,
  'bad-header': situations.badHeaderEarlier,
  'worker-crash': situations.workerCrashEarlier,
  'oom-kill': situations.oomKillEarlier,
  'pm2-crash': situations.pm2CrashEarlier,
  'firewall-blip': situations.firewallBlip,
};

const wanted = process.argv.slice(2);
for (const [name, setup] of Object.entries(ALL)) {
  if (wanted.length && !wanted.includes(name)) continue;
  const stack = await setup();
  try {
    const dir = join('test/fixtures/history', name);
    mkdirSync(dir, { recursive: true });
    const files = stack.box.run(['sh', '-c', 'find /var/log /root/.pm2 -name "*.log" -type f -size +0 2>/dev/null; true']).trim().split('\n').filter(Boolean);
    for (const file of files)
      writeFileSync(
        join(
          dir,
          file
            .replace(/^\/var\/log\//, '')
            .replace(/^\/root\//, 'root__')
            .replaceAll('/', '__'),
        ),
        stack.box.run(['cat', '--', file]),
      );
    writeFileSync(join(dir, 'ps-ages.txt'), stack.box.run(['ps', '-eo', 'pid=,ppid=,etimes=,args=']));
    writeFileSync(join(dir, 'date.txt'), stack.box.run(['date', '+%Y/%m/%d %H:%M:%S']));
    if (name === 'oom-kill') {
      writeFileSync(join(dir, 'dmesg-tail.txt'), stack.box.run(['sh', '-c', 'dmesg | tail -n 40']));
      writeFileSync(join(dir, 'uptime.txt'), stack.box.run(['cat', '/proc/uptime']));
    }
    writeFileSync(join(dir, 'statuses.txt'), `${stack.statuses.join('\n')}\n`);
    console.log(name, stack.statuses.join(' '), files.join(' '));
  } finally {
    await stack.box.remove();
  }
}
