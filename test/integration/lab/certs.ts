import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certs {
  dir: string;
  /** A CA certificate that signs `leaf`, and one that signs nothing here. */
  ca: string;
  otherCa: string;
  leaf: { cert: string; key: string };
  remove: () => void;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/**
 * Real certificates made by openssl for one test: a CA ("Lab Test CA"), a leaf it signs for `names`
 * (subjectAltName DNS entries, the first also the CN), and an unrelated CA. Valid for two days.
 */
export function makeCerts(names: string[]): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-certs-'));
  chmodSync(dir, 0o755);
  const at = (f: string) => join(dir, f);
  const ca = (name: string, cn: string) =>
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      at(`${name}.key`),
      '-out',
      at(`${name}.pem`),
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  ca('ca', 'Lab Test CA');
  ca('other-ca', 'Some Other CA');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('leaf.key'), '-out', at('leaf.csr'), '-subj', `/CN=${names[0]}`]);
  writeFileSync(at('leaf.ext'), `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', at('leaf.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('leaf.pem'), '-days', '2', '-extfile', at('leaf.ext')]);
  // nginx's workers (nobody) read the trusted CA files at startup as root; the keys stay with the backend.
  for (const f of ['ca.pem', 'other-ca.pem', 'leaf.pem']) chmodSync(at(f), 0o644);
  return { dir, ca: at('ca.pem'), otherCa: at('other-ca.pem'), leaf: { cert: at('leaf.pem'), key: at('leaf.key') }, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
