/** `[user@]host[:port]`, `[user@][v6addr]:port` and `ssh://[user@]host[:port]`, parsed. Pure. */
import { SshError } from './errors.js';

export interface Target {
  user?: string;
  /** As typed: a name (maybe a ~/.ssh/config alias), an IPv4 or an IPv6 address (no brackets). */
  host: string;
  port?: number;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9._~%+-]*$/;
const V6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?$/;
const USER = /^[A-Za-z0-9_.][A-Za-z0-9_.@+-]*\$?$/;

function bad(text: string, why: string): SshError {
  return new SshError('bad-target', text, `"${text}" is not an SSH target: ${why}. Write [user@]host[:port], or [user@][IPv6 address]:port.`);
}

function port(text: string, value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw bad(text, `the port "${value}" is not a number from 1 to 65535`);
  return Number(value);
}

export function parseTarget(text: string): Target {
  let rest = text.trim();
  if (/^ssh:\/\//i.test(rest)) rest = rest.slice('ssh://'.length).replace(/\/$/, '');
  if (!rest) throw bad(text, 'it is empty');
  const target: Target = { host: '' };
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const user = rest.slice(0, at);
    if (!USER.test(user)) throw bad(text, user ? `the user name "${user}" has characters a login name cannot have` : 'the user name before @ is empty');
    target.user = user;
    rest = rest.slice(at + 1);
  }
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw bad(text, 'the [ has no closing ]');
    target.host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after) {
      if (!after.startsWith(':')) throw bad(text, `unexpected "${after}" after ]`);
      target.port = port(text, after.slice(1));
    }
    if (!V6.test(target.host) && !NAME.test(target.host)) throw bad(text, `"${target.host}" is not an address`);
    return target;
  }
  const colons = rest.split(':').length - 1;
  if (colons > 1) {
    // Several colons and no brackets: a bare IPv6 address, as ssh itself accepts.
    if (!V6.test(rest)) throw bad(text, `"${rest}" is not an IPv6 address`);
    target.host = rest;
    return target;
  }
  if (colons === 1) {
    const [host = '', portText = ''] = rest.split(':');
    target.host = host;
    target.port = port(text, portText);
  } else {
    target.host = rest;
  }
  if (!target.host) throw bad(text, 'the host is empty');
  if (!NAME.test(target.host)) throw bad(text, `"${target.host}" is not a host name`);
  return target;
}

/** user@host, with :port when it is not 22, and IPv6 addresses in brackets when a port follows. */
export function targetLabel(user: string, host: string, port: number): string {
  if (port === 22) return `${user}@${host}`;
  return `${user}@${host.includes(':') ? `[${host}]` : host}:${port}`;
}
