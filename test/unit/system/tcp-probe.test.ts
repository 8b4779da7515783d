import { describe, expect, it } from 'vitest';
import { parseTcpProbe, tcpProbeCommand, tcpProbeLine, TCP_PROBE_SCRIPT, type TcpProbeOutcome } from '../../../src/system/tcp-probe.js';
import { captured, fixtureNames } from './fixture.js';

const EXPECTED: Record<string, TcpProbeOutcome> = {
  'tcp-probe-open-127.0.0.1': 'open',
  'tcp-probe-open-ipv6-loopback': 'open',
  'tcp-probe-refused-127.0.0.1': 'refused',
  'tcp-probe-refused-ipv6-loopback-v4-only-listener': 'refused',
  'tcp-probe-timeout-full-backlog': 'timeout',
  'tcp-probe-timeout-netns-blackhole': 'timeout',
  'tcp-probe-no-route-netns': 'no-route',
  'tcp-probe-unreachable-netns': 'unreachable',
  'tcp-probe-dns-nxdomain-invalid': 'dns',
  'tcp-probe-dns-no-resolver-reachable': 'dns',
};

describe('parseTcpProbe on real runs', () => {
  it('every captured run has an expectation', () => {
    expect(fixtureNames('tcp-probe-').sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, outcome] of Object.entries(EXPECTED)) {
    it(`${name} -> ${outcome}`, () => {
      expect(parseTcpProbe(captured(name))).toBe(outcome);
    });
  }

  it('each fixture ran exactly the command tcpProbeCommand builds', () => {
    for (const name of Object.keys(EXPECTED)) {
      const { argv } = captured(name);
      const start = argv.indexOf('timeout');
      const probe = argv.slice(start);
      const [host, port] = probe.slice(-2) as [string, string];
      expect(probe).toEqual(tcpProbeCommand(host, Number(port), Number(probe[3])));
    }
  });

  it('not this: a refused probe is not open, a DNS failure is not refused', () => {
    expect(parseTcpProbe(captured('tcp-probe-refused-127.0.0.1'))).not.toBe('open');
    // bash also prints "Invalid argument" for the /dev/tcp path after a failed lookup.
    expect(captured('tcp-probe-dns-nxdomain-invalid').stderr).toContain('Invalid argument');
    expect(parseTcpProbe(captured('tcp-probe-dns-nxdomain-invalid'))).toBe('dns');
  });

  it('a run the host could not finish is an error, not a verdict', () => {
    expect(parseTcpProbe({ code: null, stderr: '' })).toBe('error');
  });
});

describe('tcpProbeLine: the probe a person copies from a fix', () => {
  it('is the same command, every value quoted, so a host from a config file cannot run anything', () => {
    expect(tcpProbeLine('10.0.0.5', 8080, 3)).toBe(`timeout -k 1 3 bash --norc -c 'exec 3<>/dev/tcp/"$1"/"$2"' probe 10.0.0.5 8080 && echo open`);
    expect(tcpProbeLine("$(reboot)'", 80, 3)).toContain(`probe '$(reboot)'\\''' 80 && echo open`);
  });
});

describe('tcpProbeCommand', () => {
  it('passes host and port as positional arguments, never in the script', () => {
    expect(tcpProbeCommand('127.0.0.1', 9000, 3)).toEqual(['timeout', '-k', '1', '3', 'bash', '--norc', '-c', 'exec 3<>/dev/tcp/"$1"/"$2"', 'probe', '127.0.0.1', '9000']);
    const hostile = tcpProbeCommand('$(reboot)', 80, 2);
    expect(hostile[7]).toBe(TCP_PROBE_SCRIPT);
    expect(hostile.at(-2)).toBe('$(reboot)');
  });

  it('strips IPv6 brackets', () => {
    expect(tcpProbeCommand('[::1]', 80, 1).slice(-2)).toEqual(['::1', '80']);
  });

  it('refuses what cannot be a host, port or timeout', () => {
    expect(() => tcpProbeCommand('a/b', 80, 3)).toThrow(RangeError);
    expect(() => tcpProbeCommand('', 80, 3)).toThrow(RangeError);
    expect(() => tcpProbeCommand('h\nx', 80, 3)).toThrow(RangeError);
    expect(() => tcpProbeCommand('h', 0, 3)).toThrow(RangeError);
    expect(() => tcpProbeCommand('h', 70000, 3)).toThrow(RangeError);
    expect(() => tcpProbeCommand('h', 80, 0)).toThrow(RangeError);
  });
});
