import type { NginxConfig } from './config-types.js';
import { passedEndpoints, passedPorts } from './passed-addresses.js';
import { listenTable, serversIn } from './server-select.js';

/**
 * What the diagnosis asks of every server of a config, whatever the request: the addresses it passes to,
 * each server's listens, and which server writes which name. On 20,000 vhosts that is tens of milliseconds, worked out here while the box is
 * still busy (kept-read-host.ts) rather than after it answers. Each part is kept where its reader finds it.
 */
export function warmConfig(config: NginxConfig): void {
  passedPorts(config);
  passedEndpoints(config);
  for (const http of config.tree) {
    if (http.directive !== 'http') continue;
    listenTable(serversIn(http));
  }
}
