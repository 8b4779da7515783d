import { type Box, waitInBox } from './box.js';
import { nginxWorkers, oldWorkersGone } from './stacks-causes.js';
import { addToProxyPass } from './stacks-more.js';
import { initScriptBackend, nodeUnderPm2, removeOnError, runitBackend, s6Backend, type Stack } from './stacks.js';

/**
 * The stack × cause matrix's own breakages on the lab's stacks (src/live/stacks.ts): the plain API (init
 * script, runit, s6) and the Node app under pm2 given a slow route and a route that answers 502 itself, moved
 * to another port by what starts them, or dialled in the wrong protocol by nginx.
 */

/** The plain API (port from argv): "/slow?s=N" answers after N seconds (at most 60), "/502" is the app's own 502. */
const API_SERVER = `import sys, time
from urllib.parse import parse_qs, urlsplit
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == '/slow':
            time.sleep(min(float(parse_qs(url.query).get('s', ['5'])[0]), 60))
        status, body = (502, b'payments upstream down\\n') if url.path == '/502' else (200, b'api ok\\n')
        self.send_response(status)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
`;

/** The Node app with the same routes, on PORT. */
const NODE_SERVER = `const http = require('node:http');
http
  .createServer((req, res) => {
    const url = new URL(req.url, 'http://api');
    const answer = () => {
      res.statusCode = url.pathname === '/502' ? 502 : 200;
      res.end(res.statusCode === 502 ? 'payments upstream down\\n' : 'api ok\\n');
    };
    if (url.pathname === '/slow') setTimeout(answer, Math.min(Number(url.searchParams.get('s') || 5), 60) * 1000);
    else answer();
  })
  .listen(Number(process.env.PORT || 3000), '127.0.0.1');
`;

export type ApiRunner = 'init' | 'runit' | 's6' | 'pm2';

/** How each runner's stack is started, where its port is set, and how it is restarted. */
const RUNNERS: Record<ApiRunner, { start: () => Promise<Stack>; port: number; script: string; portFile: string; portEdit: (port: number) => string; restart: string[] }> = {
  init: {
    start: initScriptBackend,
    port: 8001,
    script: '/srv/shop-api/server.py',
    portFile: '/etc/default/shop-api',
    portEdit: (p) => `s/^PORT=.*/PORT=${p}/`,
    restart: ['service', 'shop-api', 'restart'],
  },
  runit: {
    start: runitBackend,
    port: 8002,
    script: '/srv/shop-api/server.py',
    portFile: '/etc/sv/shop-api/run',
    portEdit: (p) => `s/server\\.py 8002$/server.py ${p}/`,
    restart: ['sv', 'restart', 'shop-api'],
  },
  s6: {
    start: s6Backend,
    port: 8003,
    script: '/srv/shop-api/server.py',
    portFile: '/run/service/shop-api/run',
    portEdit: (p) => `s/server\\.py 8003$/server.py ${p}/`,
    restart: ['s6-svc', '-r', '/run/service/shop-api'],
  },
  pm2: {
    start: nodeUnderPm2,
    port: 3000,
    script: '/srv/api/server.js',
    portFile: '/srv/api/ecosystem.config.js',
    portEdit: (p) => `s/PORT: 3000/PORT: ${p}/`,
    restart: ['pm2', 'restart', '/srv/api/ecosystem.config.js', '--update-env'],
  },
};

/**
 * The API run by `runner` with the routes above; `port`: the port its runner gives it (nginx still dials the
 * stack's own); `proxyExtra`: a directive after the site's proxy_pass. Returned once the new program answers on its port.
 */
export async function apiUnder(runner: ApiRunner, options: { port?: number; proxyExtra?: string } = {}): Promise<Stack> {
  const how = RUNNERS[runner];
  const stack = await how.start();
  return removeOnError(stack, async () => {
    const box = stack.box;
    box.write(how.script, runner === 'pm2' ? NODE_SERVER : API_SERVER);
    if (options.port) box.run(['sed', '-i', how.portEdit(options.port), how.portFile]);
    box.run(how.restart);
    if (options.proxyExtra) await addToSiteAndReload(box, 'api', options.proxyExtra);
    await waitInBox(box, ['sh', '-c', `test "$(curl -s -o /dev/null -w %{http_code} http://127.0.0.1:${options.port ?? how.port}/502)" = 502`], `the ${runner} API on its port`);
    return stack;
  });
}

/** A directive after the site's proxy_pass; returned once nginx's old workers are gone. */
async function addToSiteAndReload(box: Box, site: string, directive: string): Promise<void> {
  const before = nginxWorkers(box);
  addToProxyPass(box, site, directive);
  await oldWorkersGone(box, before);
}

/** `from` replaced by `to` in the site's file in sites-available, nginx reloaded; returned once its old workers are gone. */
export async function editSite(box: Box, site: string, from: string, to: string): Promise<void> {
  const file = `/etc/nginx/sites-available/${site}`;
  const text = box.read(file);
  if (!text.includes(from)) throw new Error(`${file} has no "${from}"`);
  box.write(file, text.replace(from, to));
  const before = nginxWorkers(box);
  box.run(['nginx', '-s', 'reload']);
  await oldWorkersGone(box, before);
}
