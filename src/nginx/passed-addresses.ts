import type { NginxConfig } from './config-types.js';
import { deepArgs } from './lazy-server.js';

const PASSES = new Set(['proxy_pass', 'fastcgi_pass', 'uwsgi_pass', 'scgi_pass', 'grpc_pass']);

/** `make` worked out once per config: the look-ahead asks at each step, and 20,000 vhosts are a long walk. */
function oncePerConfig<T>(make: (config: NginxConfig) => T): (config: NginxConfig) => T {
  const made = new WeakMap<NginxConfig, T>();
  return (config) => {
    if (!made.has(config)) made.set(config, make(config));
    return made.get(config) as T;
  };
}

/** Every address the config sends requests to, as written: each `*_pass` target and each upstream `server`, in config order, repeats kept. */
export const passedAddresses = oncePerConfig((config): readonly string[] => deepArgs(config.tree, (directive, first) => first !== '' && (PASSES.has(directive) || directive === 'server')));

/** Every port the config sends requests to (an address that names one). */
export const passedPorts = oncePerConfig((config): ReadonlySet<number> => {
  const found = new Set<number>();
  for (const address of passedAddresses(config)) {
    const port = /:(\d+)(?:\/|$)/.exec(address)?.[1];
    if (port) found.add(Number(port));
  }
  return found;
});

/** Every endpoint the config sends requests to, as host:port or unix:path (scheme and URI dropped). */
export const passedEndpoints = oncePerConfig((config): ReadonlySet<string> => {
  const found = new Set<string>();
  for (const address of passedAddresses(config)) {
    const socket = /unix:([^:\s]+)/.exec(address)?.[1];
    found.add(socket ? `unix:${socket}` : address.replace(/^\w+:\/\//, '').replace(/\/.*$/, ''));
  }
  return found;
});
