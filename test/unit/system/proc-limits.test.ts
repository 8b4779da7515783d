import { describe, expect, it } from 'vitest';
import { countFds, openFilesLimit, parseProcLimits } from '../../../src/system/proc-limits.js';
import { fixture } from './fixture.js';

describe('/proc/PID/limits', () => {
  it('reads the open-file limit worker_rlimit_nofile gave a real nginx worker', () => {
    expect(openFilesLimit(fixture('proc-limits-nginx-worker-rlimit-64.txt'))).toEqual({ soft: 64, hard: 64, units: 'files' });
  });

  it('reads soft and hard apart, and unlimited as null', () => {
    const limits = parseProcLimits(fixture('proc-limits-soft-1024-hard-20000.txt'));
    expect(limits['Max open files']).toEqual({ soft: 1024, hard: 20000, units: 'files' });
    expect(limits['Max cpu time']).toEqual({ soft: null, hard: null, units: 'seconds' });
    expect(limits['Max nice priority']).toEqual({ soft: 0, hard: 0, units: '' });
    expect(Object.keys(limits)).toHaveLength(16);
  });

  it('a worker without worker_rlimit_nofile keeps what nginx was started with', () => {
    expect(openFilesLimit(fixture('proc-limits-nginx-worker-default.txt'))?.soft).toBe(20000);
  });

  it('not this: the error of a process that is gone, ps output, nothing', () => {
    expect(openFilesLimit(fixture('proc-limits-gone.stderr.txt'))).toBeNull();
    expect(parseProcLimits(fixture('ps-ppid-nginx-master.txt'))).toEqual({});
    expect(openFilesLimit('')).toBeNull();
  });
});

describe('counting descriptors in /proc/PID/fd', () => {
  it('counts the entries ls lists', () => {
    expect(countFds(fixture('ls-proc-fd-nginx-worker.txt'))).toBe(11);
  });

  it('not this: an error message counts nothing', () => {
    expect(countFds("ls: cannot access '/proc/3044/fd': No such file or directory\n")).toBe(0);
  });
});
