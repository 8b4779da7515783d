import type { Directive, NginxConfig } from './config-types.js';

const PASSES = new Set(['proxy_pass', 'fastcgi_pass', 'uwsgi_pass', 'scgi_pass', 'grpc_pass']);

const found = new WeakMap<NginxConfig, readonly string[]>();

/**
 * Every address the config sends requests to, as written: each `*_pass` target and each upstream `server`,
 * in config order, repeats kept. Walked once per config: the look-ahead asks at each step, and 20,000
 * vhosts are a long walk.
 */
export function passedAddresses(config: NginxConfig): readonly string[] {
  let addresses = found.get(config);
  if (!addresses) {
    const out: string[] = [];
    const visit = (directives: readonly Directive[]): void => {
      for (const d of directives) {
        const address = d.args[0];
        if (address && (PASSES.has(d.directive) || (d.directive === 'server' && !d.block))) out.push(address);
        if (d.block) visit(d.block);
      }
    };
    visit(config.tree);
    addresses = out;
    found.set(config, addresses);
  }
  return addresses;
}
