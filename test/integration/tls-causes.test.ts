import { describe, expect, it } from 'vitest';
import { startTcpBackend } from './lab/backend.js';
import { diagnose } from './lab/badgateway.js';
import { makeCerts, type Certs } from './lab/certs.js';
import { freePort } from './lab/ports.js';
import type { Started } from './lab/processes.js';
import { startTlsBackend, type TlsBackendOptions } from './lab/tls-backend.js';
import { walkWizard } from './lab/wizard.js';
import { labScope } from './lab/scope.js';

const { later, nginx } = labScope();

function certs(names: string[]): Certs {
  const made = makeCerts(names);
  later(() => made.remove());
  return made;
}

async function tlsBackend(port: number, options: TlsBackendOptions): Promise<Started> {
  const started = await startTlsBackend('127.0.0.1', port, options);
  later(() => started.stop());
  return started;
}

async function both(url: string) {
  const { report } = await diagnose(url);
  const frame = await walkWizard(url);
  return { report, frame };
}

const lastStep = (report: any) => report.steps.at(-1);
const evidenceOf = (report: any, node: string): string => JSON.stringify(report.diagnosis.evidence.filter((e: { node: string }) => e.node === node));

describe('nginx to an https upstream, broken for real with python ssl backends and openssl certificates', () => {
  it('upstream-tls: the backend needs SNI, and nginx sends none (proxy_ssl_server_name off)', async () => {
    const c = certs(['backend.test']);
    const port = await freePort();
    await tlsBackend(port, { ...c.leaf, sni: 'backend.test' });
    const site = await nginx({ http: `upstream backend.test { server 127.0.0.1:${port}; }`, server: 'location / { proxy_pass https://backend.test; }' });
    const { report, frame } = await both(`http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('upstream-tls');
    expect(lastStep(report)).toMatchObject({ node: 'tls-handshake', outcome: 'needs-sni' });
    expect(evidenceOf(report, 'error-log')).toContain('unrecognized name');
    expect(evidenceOf(report, 'tls-handshake')).toContain('-servername backend.test');
    expect(report.fix.edits).toHaveLength(1);
    expect(report.fix.edits[0]).toMatchObject({ file: site.confFile, before: 'location / {' });
    expect(report.fix.edits[0].after).toContain('proxy_ssl_server_name on;');
    // The group's name already is the name the backend serves: no proxy_ssl_name needed.
    expect(report.fix.edits[0].after).not.toContain('proxy_ssl_name');
    expect(frame).toContain('Cause: upstream-tls');
  });

  it('upstream-tls: the trusted CA file holds another CA', async () => {
    const c = certs(['backend.test']);
    const port = await freePort();
    await tlsBackend(port, c.leaf);
    // nginx refuses proxy_ssl_verify without proxy_ssl_trusted_certificate at load, so a wrong file is how this fails.
    const site = await nginx({ server: `location / { proxy_pass https://127.0.0.1:${port}; proxy_ssl_verify on; proxy_ssl_trusted_certificate ${c.otherCa}; proxy_ssl_name backend.test; }` });
    const { report, frame } = await both(`http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('upstream-tls');
    expect(lastStep(report)).toMatchObject({ node: 'tls-handshake', outcome: 'untrusted' });
    expect(evidenceOf(report, 'error-log')).toContain('upstream SSL certificate verify error');
    expect(evidenceOf(report, 'tls-handshake')).toContain(`-CAfile ${c.otherCa}`);
    expect(report.diagnosis.explanation).toContain('Lab Test CA');
    expect(report.fix.notes[0]).toContain(`${c.otherCa} does not hold the CA`);
    expect(report.fix.notes.join('\n')).toContain('Do not turn proxy_ssl_verify off');
    expect(report.fix.caution).toContain('last resort');
    expect(report.fix.commands.at(-1)).toContain('-s reload');
    expect(frame).toContain('Cause: upstream-tls');
  });

  it('upstream-tls: the certificate is for another name than proxy_ssl_name', async () => {
    const c = certs(['backend.test']);
    const port = await freePort();
    await tlsBackend(port, c.leaf);
    const site = await nginx({ server: `location / { proxy_pass https://127.0.0.1:${port}; proxy_ssl_verify on; proxy_ssl_trusted_certificate ${c.ca}; proxy_ssl_name other.test; }` });
    const { report, frame } = await both(`http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('upstream-tls');
    expect(lastStep(report).outcome).toBe('name-mismatch');
    expect(evidenceOf(report, 'error-log')).toContain('does not match');
    expect(report.fix.edits).toContainEqual(expect.objectContaining({ before: 'proxy_ssl_name other.test;', after: 'proxy_ssl_name backend.test;' }));
    expect(frame).toContain('Cause: upstream-tls');
  });

  it('upstream-tls: the backend speaks TLS 1.3 only; nginx 1.22 offers up to TLS 1.2 by default', async () => {
    const c = certs(['backend.test']);
    const port = await freePort();
    await tlsBackend(port, { ...c.leaf, tls13Only: true });
    const site = await nginx({ server: `location / { proxy_pass https://127.0.0.1:${port}; }` });
    const { report, frame } = await both(`http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('upstream-tls');
    expect(lastStep(report).outcome).toBe('versions');
    expect(evidenceOf(report, 'error-log')).toContain('protocol version');
    expect(report.fix.edits[0].after).toContain('proxy_ssl_protocols TLSv1.2 TLSv1.3;');
    expect(frame).toContain('Cause: upstream-tls');
  });

  it('protocol-mismatch: nginx speaks TLS (https://) to a plain HTTP backend', async () => {
    const port = await freePort();
    const backend = await startTcpBackend('127.0.0.1', port);
    later(() => backend.stop());
    const site = await nginx({ server: `location / { proxy_pass https://127.0.0.1:${port}; }` });
    const { report, frame } = await both(`http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('protocol-mismatch');
    expect(lastStep(report)).toMatchObject({ node: 'tls-handshake', outcome: 'plain-http' });
    expect(evidenceOf(report, 'error-log')).toContain('wrong version number');
    expect(evidenceOf(report, 'tls-handshake')).toContain('plain HTTP answers: 200');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: site.confFile, before: `proxy_pass https://127.0.0.1:${port};`, after: `proxy_pass http://127.0.0.1:${port};` })]);
    expect(frame).toContain('Cause: protocol-mismatch');
  });
});
