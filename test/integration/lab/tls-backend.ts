import { fileURLToPath } from 'node:url';
import { start, waitForPort, type Started } from './processes.js';

const SCRIPT = fileURLToPath(new URL('./tls-backend.py', import.meta.url));

export interface TlsBackendOptions {
  cert: string;
  key: string;
  /** Refuse handshakes that do not name this server (SNI). */
  sni?: string;
  /** Refuse clients that cannot speak TLS 1.3. */
  tls13Only?: boolean;
}

/** A real python3 HTTPS backend on host:port (test/integration/lab/tls-backend.py). */
export async function startTlsBackend(host: string, port: number, o: TlsBackendOptions): Promise<Started> {
  const args = [SCRIPT, host, String(port), o.cert, o.key, ...(o.sni ? ['--sni', o.sni] : []), ...(o.tls13Only ? ['--min-tls', '1.3'] : [])];
  const backend = start('python3', args);
  await waitForPort(host, port, 'the python TLS backend');
  return backend;
}
