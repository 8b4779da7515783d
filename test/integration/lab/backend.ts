import { fileURLToPath } from 'node:url';
import { start, waitForPath, waitForPort, type Started } from './processes.js';

const SCRIPT = fileURLToPath(new URL('./backend.py', import.meta.url));

export type BackendMode = { mode: 'ok' } | { mode: 'slow'; seconds: number } | { mode: 'bigheader'; bytes: number } | { mode: 'status502' };

function modeArgs(mode: BackendMode): string[] {
  if (mode.mode === 'bigheader') return ['bigheader', String(mode.bytes)];
  if (mode.mode === 'status502') return ['status502'];
  return mode.mode === 'slow' ? ['slow', String(mode.seconds)] : ['ok'];
}

/** A real python3 HTTP backend on host:port. */
export async function startTcpBackend(host: string, port: number, mode: BackendMode = { mode: 'ok' }): Promise<Started> {
  const backend = start('python3', [SCRIPT, 'tcp', host, String(port), ...modeArgs(mode)]);
  await waitForPort(host, port, 'the python backend');
  return backend;
}

/** A real python3 HTTP backend on a unix socket with the given file mode (octal string). */
export async function startUnixBackend(path: string, fileMode: string, mode: BackendMode = { mode: 'ok' }): Promise<Started> {
  const backend = start('python3', [SCRIPT, 'unix', path, fileMode, ...modeArgs(mode)]);
  await waitForPath(path, 'the python backend');
  return backend;
}
