import { BadCommandLine } from '../errors.js';
import type { KnownFacts, Listener, ProcessInfo } from './keys.js';

/** A URL that cannot be sent through nginx: exit 2, the message and then the usage. */
export class BadUrl extends BadCommandLine {}

/** The request facts for a URL a person typed, or that the error log named. */
export function requestFacts(url: string, method = 'GET'): KnownFacts {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadUrl(`not a URL: ${url} (expected something like http://127.0.0.1:8080/path)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new BadUrl(`only http:// and https:// URLs can be sent through nginx, not ${parsed.protocol}`);
  }
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  return {
    'request.url': parsed.href,
    'request.method': method,
    'request.hostHeader': parsed.host,
    'request.port': port,
    'request.path': `${parsed.pathname}${parsed.search}`,
  };
}

/** Where to connect to reach this box's nginx on a port, whatever name the URL uses. */
export function nginxAddressFor(port: number, listeners: Listener[], processes: ProcessInfo[], masterPid: number): string {
  const isNginx = (pid: number | null) => pid !== null && (pid === masterPid || processes.find((p) => p.pid === pid)?.ppid === masterPid);
  const mine = listeners.filter((l) => l.port === port && l.netid !== 'unix' && isNginx(l.pid));
  const choice = mine.find((l) => l.netid === 'tcp') ?? mine[0];
  if (!choice) return `127.0.0.1:${port}`;
  const address = choice.address.replace(/^\[|\]$/g, '');
  if (address === '*' || address === '0.0.0.0') return `127.0.0.1:${port}`;
  if (address === '::') return `[::1]:${port}`;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
