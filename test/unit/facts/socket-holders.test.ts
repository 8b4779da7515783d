import { describe, expect, it } from 'vitest';
import type { KnownFacts } from '../../../src/facts/keys.js';
import { describeHolders, holderHint, socketHolders, summarizeHolders } from '../../../src/facts/socket-holders.js';
import { isStopped, parsePsStates } from '../../../src/system/ps-states.js';
import { fixture } from '../checks/fixtures.js';

const PS = fixture('system/ps-states-stopped-backend.txt');
const SS = fixture('system/ss-stopped-backend.txt');
const facts: KnownFacts = { 'upstream.target': '127.0.0.1:37665', 'upstream.kind': 'tcp', 'upstream.host': '127.0.0.1', 'upstream.port': 37665, 'nginx.masterPid': 57 };

describe('the processes holding the socket nginx dials (captured: a backend stopped with SIGSTOP)', () => {
  it('reads each state from ps, flags and all', () => {
    const states = parsePsStates(PS);
    expect(states.find((p) => p.pid === 14)).toMatchObject({ ppid: 1, state: 'T' });
    expect(states.find((p) => p.pid === 57)).toMatchObject({ state: 'S', args: expect.stringMatching(/^nginx: master process/) });
    expect(states.find((p) => p.pid === 104)?.state).toBe('R');
  });

  it('finds the stopped backend behind the dialled address, and never nginx itself', () => {
    const holders = socketHolders(facts, SS, PS);
    expect(holders.map((h) => h.pid)).toEqual([14]);
    expect(holders.every(isStopped)).toBe(true);
    expect(describeHolders(holders)).toEqual(['pid 14 stopped: /root/.pyenv/versions/3.11.7/bin/python3 /work/main/test/integration/lab/backend.py tcp 127.0.0.1 37665 ok']);
    expect(holderHint(holders)).toMatchObject({ pid: 14, names: ['python3'], label: 'python3 pid 14' });
  });

  it('for a sentence: a master and its workers with one command line are one group (the capture, its line given two more pids)', () => {
    const line = PS.split('\n').find((l) => /^\s+14\s/.test(l)) as string;
    const workers = [line.replace(/^\s+14\s+1\s/, '     15    14 '), line.replace(/^\s+14\s+1\s/, '     16    14 ')].join('\n');
    const processes = parsePsStates(`${PS}${workers}\n`).filter((p) => [14, 15, 16].includes(p.pid));
    expect(summarizeHolders(processes)).toEqual(['pid 14, 15, 16 stopped: /root/.pyenv/versions/3.11.7/bin/python3 /work/main/test/integration/lab/back...']);
  });

  it('not this: the same capture with the backend running (S) is not stopped; another port has no holder', () => {
    const running = PS.replace(/^(\s+14\s+1\s+)Ts/m, '$1Ss');
    expect(running).not.toBe(PS);
    expect(socketHolders(facts, SS, running).some(isStopped)).toBe(false);
    expect(socketHolders({ ...facts, 'upstream.port': 37666, 'upstream.target': '127.0.0.1:37666' }, SS, PS)).toEqual([]);
  });
});
