import { describe, expect, it } from 'vitest';
import { certNameCovers, parseSClient, parseX509Names, sClientCommand, X509_NAMES, type SClientOptions } from '../../../src/system/openssl.js';
import { names, run } from './network-fixture.js';

const C = '/tmp/tlscap';
const at = (port: number, o: Partial<SClientOptions> = {}): SClientOptions => ({ host: '127.0.0.1', port, seconds: 5, ...o });

/** The options each capture was made with, and what the run means. */
const RUNS: Record<string, { options: SClientOptions; expect: Partial<ReturnType<typeof parseSClient>> }> = {
  's-client-verified-as-nginx': {
    options: at(18601, { serverName: 'backend.test', trust: `${C}/ca.pem`, verifyDepth: 1, verifyName: 'backend.test', minProtocol: 'TLSv1', maxProtocol: 'TLSv1.2' }),
    expect: { established: true, failure: null, protocol: 'TLSv1.2', verification: 'OK', subject: 'CN = backend.test' },
  },
  's-client-sni-required-none-sent': { options: at(18602), expect: { established: false, failure: 'alert', alert: 112, reason: 'tlsv1 unrecognized name' } },
  's-client-sni-required-name-sent': { options: at(18602, { serverName: 'backend.test' }), expect: { established: true, verification: 'unable to verify the first certificate' } },
  's-client-sni-required-wrong-name': { options: at(18602, { serverName: 'app_pool' }), expect: { established: false, alert: 112 } },
  's-client-untrusted-no-ca': { options: at(18601, { trust: null }), expect: { established: false, failure: 'verify', verifyErrors: [{ num: 20, text: 'unable to get local issuer certificate' }] } },
  's-client-untrusted-other-ca': { options: at(18601, { trust: `${C}/other-ca.pem`, verifyDepth: 1, verifyName: 'backend.test' }), expect: { failure: 'verify', reason: 'certificate verify failed' } },
  's-client-self-signed': {
    options: at(18605, { trust: `${C}/ca.pem`, verifyName: 'self.test', serverName: 'self.test' }),
    expect: { failure: 'verify', verifyErrors: [{ num: 18, text: 'self-signed certificate' }] },
  },
  's-client-name-mismatch': {
    options: at(18601, { trust: `${C}/ca.pem`, verifyName: 'other.test', serverName: 'other.test' }),
    expect: { failure: 'verify', verifyErrors: [{ num: 62, text: 'hostname mismatch' }] },
  },
  's-client-expired': {
    options: at(18611, { trust: `${C}/ca.pem`, verifyDepth: 1, verifyName: 'backend.test' }),
    expect: { failure: 'verify', verifyErrors: [{ num: 10, text: 'certificate has expired' }] },
  },
  's-client-tls13-only-max-12': { options: at(18603, { minProtocol: 'TLSv1', maxProtocol: 'TLSv1.2' }), expect: { failure: 'versions', alert: 70, reason: 'tlsv1 alert protocol version' } },
  's-client-tls13-only-any-version': { options: at(18603), expect: { established: true, protocol: 'TLSv1.3' } },
  's-client-plain-http': { options: at(18604), expect: { established: false, failure: 'plain-text', reason: 'wrong version number' } },
  's-client-refused': { options: at(18609), expect: { established: false, failure: 'connect', connectErrno: 111 } },
  's-client-no-answer': { options: at(18607, { seconds: 2 }), expect: { established: false, failure: 'timeout' } },
  's-client-ok-unverified': { options: at(18601), expect: { established: true, protocol: 'TLSv1.3', subject: 'CN = backend.test', verification: 'unable to verify the first certificate' } },
  's-client-showcerts': {
    options: at(18601, { showCerts: true, serverName: 'backend.test' }),
    expect: { established: true, issuer: 'CN = Lab Test CA', subject: 'CN = backend.test', protocol: 'TLSv1.3' },
  },
  's-client-showcerts-self-signed': { options: at(18605, { showCerts: true }), expect: { established: true, issuer: 'CN = self.test' } },
};

describe('openssl s_client, on real runs', () => {
  it('every captured run has an expectation', () => expect(names('s-client-')).toEqual(Object.keys(RUNS).sort()));

  for (const [name, { options, expect: wanted }] of Object.entries(RUNS)) {
    it(`${name}: ran the command sClientCommand builds, and means what it says`, () => {
      const r = run(name);
      expect(r.argv).toEqual(sClientCommand(options));
      expect(parseSClient(r)).toMatchObject(wanted);
    });
  }

  it('the PEM of the server certificate comes with -showcerts only', () => {
    expect(parseSClient(run('s-client-showcerts')).pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(parseSClient(run('s-client-ok-unverified')).pem).toBeNull();
  });

  it('not this: a verification error that did not fail the handshake is no failure; a refused connect is no alert', () => {
    const unverified = parseSClient(run('s-client-ok-unverified'));
    expect(unverified.established).toBe(true);
    expect(unverified.failure).toBeNull();
    expect(unverified.verifyErrors.map((e) => e.num)).toEqual([20, 21]);
    expect(parseSClient(run('s-client-refused'))).toMatchObject({ alert: null, failure: 'connect' });
    expect(parseSClient(run('s-client-plain-http')).alert).toBeNull();
  });

  it('builds argv without a shell, refusing what cannot be a host or a name', () => {
    expect(sClientCommand(at(443))).toEqual(['timeout', '-k', '1', '5', 'openssl', 's_client', '-connect', '127.0.0.1:443', '-brief', '-noservername']);
    expect(sClientCommand({ host: '[::1]', port: 8443, seconds: 2 })).toContain('[::1]:8443');
    expect(() => sClientCommand(at(443, { serverName: '-proxy' }))).toThrow(RangeError);
    expect(() => sClientCommand(at(443, { serverName: '10.0.0.1' }))).toThrow(RangeError);
    expect(() => sClientCommand({ host: 'a b', port: 443, seconds: 2 })).toThrow(RangeError);
    expect(() => sClientCommand(at(0))).toThrow(RangeError);
  });
});

describe('openssl x509 names, on real runs', () => {
  it('ran with the PEM of a -showcerts run on stdin', () => {
    const leaf = run('x509-names-leaf');
    expect(leaf.argv).toEqual(X509_NAMES);
    expect(leaf.stdin).toBe(parseSClient(run('s-client-showcerts')).pem);
  });
  it('the SANs of a leaf, DNS and IP', () => {
    expect(parseX509Names(run('x509-names-leaf').stdout)).toMatchObject({ subject: 'CN = backend.test', issuer: 'CN = Lab Test CA', names: ['backend.test'] });
    expect(parseX509Names(run('x509-names-self-signed-sans').stdout).names).toEqual(['self.test', '*.self.test', 'IP:127.0.0.1']);
  });
  it('not this: without SANs the CN stands in, and the "No extensions" note is no name', () => {
    expect(parseX509Names(run('x509-names-ca-no-extensions-san').stdout).names).toEqual(['Lab Test CA']);
  });
  it('wildcards cover one label', () => {
    expect(certNameCovers('*.self.test', 'a.self.test')).toBe(true);
    expect(certNameCovers('*.self.test', 'a.b.self.test')).toBe(false);
    expect(certNameCovers('*.self.test', 'self.test')).toBe(false);
    expect(certNameCovers('Backend.Test', 'backend.test')).toBe(true);
  });
});
