import type { KnownFacts } from './keys.js';
import type { CommandSpec } from '../hosts/host.js';
import { httpProbeCommand } from '../system/http-probe.js';
import { need } from './need.js';

/**
 * The failing request sent again through this box's nginx, whatever name the URL uses: curl connects to
 * the address nginx listens on, and keeps the URL's Host header and TLS name.
 */
export function throughNginx(facts: KnownFacts, timeoutSeconds: number): CommandSpec {
  const url = new URL(need(facts, 'request.url'));
  const port = need(facts, 'request.port');
  const connectTo = need(facts, 'request.connectTo');
  const argv = httpProbeCommand(url.href, { timeoutSeconds });
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const [connectHost, connectPort] = splitHostPort(connectTo);
  argv.splice(1, 0, '--connect-to', `${hostname}:${port}:${connectHost}:${connectPort}`);
  return { argv, timeoutMs: (timeoutSeconds + 5) * 1000 };
}

export function splitHostPort(address: string): [string, string] {
  const match = /^\[?(.*?)\]?:(\d+)$/.exec(address);
  return match ? [match[1] as string, match[2] as string] : [address, ''];
}
