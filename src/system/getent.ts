/**
 * `getent ahosts NAME`: what a name resolves to now, through the box's own resolver (nsswitch:
 * /etc/hosts, then DNS), as nginx did when it loaded its config. One line per address and socket
 * type ("127.0.0.3       STREAM app.test", then DGRAM and RAW); exit 2 when the name is unknown.
 */
export function parseAhosts(stdout: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+STREAM\b/.exec(line.trim());
    if (m && !out.includes(m[1] as string)) out.push(m[1] as string);
  }
  return out;
}

/** Is this host an address already (nothing to resolve)? */
export function isIpLiteral(host: string): boolean {
  const plain = host.replace(/^\[|\]$/g, '');
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(plain) || (plain.includes(':') && /^[0-9a-f:.%\w]+$/i.test(plain));
}

/**
 * The address nginx used, from an error log line's upstream field: "http://127.0.0.2:8080/path",
 * "fastcgi://[::1]:9000", "uwsgi://10.0.0.5:3031". null for a unix socket or no address.
 */
export function upstreamFieldAddress(field: string): string | null {
  const m = /^[a-z0-9+]+:\/\/(?:\[([^\]]+)\]|([^/:]+))(?::\d+)?/i.exec(field.trim());
  const host = m ? (m[1] ?? m[2] ?? null) : null;
  return host && host !== 'unix' && isIpLiteral(host) ? host : null;
}
