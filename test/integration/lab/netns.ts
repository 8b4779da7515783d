import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/**
 * Network namespaces this test makes itself: a "host" with its own loopback, optionally linked to another
 * by a veth pair on 10.250.0.0/16. Nothing here ever routes beyond those namespaces.
 */
export interface Netns {
  name: string;
  /** argv prefix that runs a program inside the namespace. */
  exec: (argv: string[]) => string[];
  run: (argv: string[]) => string;
  remove: () => void;
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

let made = 0;

/** A new namespace with loopback up, and an /etc/hosts of its own when `hosts` is given. */
export function createNetns(options: { hosts?: string } = {}): Netns {
  const name = `bgw${process.pid % 10000}${made++}${randomBytes(2).toString('hex')}`;
  ip(['netns', 'add', name]);
  ip(['-n', name, 'link', 'set', 'lo', 'up']);
  const etc = `/etc/netns/${name}`;
  if (options.hosts !== undefined) {
    mkdirSync(etc, { recursive: true });
    writeFileSync(`${etc}/hosts`, options.hosts);
  }
  const exec = (argv: string[]) => ['ip', 'netns', 'exec', name, ...argv];
  return {
    name,
    exec,
    run: (argv) => execFileSync(exec(argv)[0] as string, exec(argv).slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    remove: () => {
      try {
        ip(['netns', 'del', name]);
      } finally {
        rmSync(etc, { recursive: true, force: true });
      }
    },
  };
}

let links = 0;

/** Joins two namespaces with a veth pair: a gets 10.250.N.1/24, b gets 10.250.N.2/24. */
export function link(a: Netns, b: Netns, subnet = 10 + (links++ % 200)): { a: string; b: string } {
  const left = `bgwa${process.pid % 1000}${subnet}`;
  const right = `bgwb${process.pid % 1000}${subnet}`;
  ip(['link', 'add', left, 'netns', a.name, 'type', 'veth', 'peer', 'name', right, 'netns', b.name]);
  const addressA = `10.250.${subnet}.1`;
  const addressB = `10.250.${subnet}.2`;
  ip(['-n', a.name, 'addr', 'add', `${addressA}/24`, 'dev', left]);
  ip(['-n', b.name, 'addr', 'add', `${addressB}/24`, 'dev', right]);
  ip(['-n', a.name, 'link', 'set', left, 'up']);
  ip(['-n', b.name, 'link', 'set', right, 'up']);
  return { a: addressA, b: addressB };
}

/** An nftables rule set inside a namespace, e.g. dropping one TCP port. */
export function firewall(ns: Netns, rules: string): void {
  execFileSync('ip', ['netns', 'exec', ns.name, 'nft', '-f', '-'], { input: rules, stdio: ['pipe', 'pipe', 'pipe'] });
}
