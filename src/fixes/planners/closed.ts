/**
 * Fixes for a backend that accepted nginx's connection and then went wrong: it speaks another protocol,
 * it closes idle keep-alive connections first, it crashed, or it sent a response nginx refuses.
 */
import { need } from '../../facts/need.js';
import { routeOf } from '../../facts/route.js';
import type { KnownFacts } from '../../facts/keys.js';
import type { Directive } from '../../nginx/config-types.js';
import { walk } from '../../nginx/walk.js';
import { directiveAt, directiveText, testAndReload } from '../nginx-edit.js';
import type { FixPlan, Planner } from '../plan.js';

const INDENT = '\n    ';

/** What a *_pass module expects at the other end, in words. */
const SERVER_OF: Record<string, string> = { fastcgi: 'a FastCGI server such as php-fpm', uwsgi: 'a uwsgi server', grpc: 'a gRPC server (HTTP/2)', scgi: 'an SCGI server' };

/** The address part of a pass directive's argument: "127.0.0.1:9000", "unix:/run/php.sock", or a group name. */
export function passAddress(directive: Directive): string {
  const rest = (directive.args[0] ?? '').replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  if (rest.startsWith('unix:')) return `unix:${rest.slice(5).split(':')[0]}`;
  return rest.split('/')[0] as string;
}

/** proxy_pass takes "http://unix:/path" for a socket, "http://host:port" or "http://group" for the rest. */
function proxyTarget(scheme: string, address: string): string {
  return `${scheme}://${address}`;
}

/** The include that brings in FastCGI's parameters elsewhere in this config, so the new location matches the rest. */
function fastcgiInclude(facts: KnownFacts): string {
  // The tree has includes replaced by what they include; each file's own directives still hold them.
  for (const file of need(facts, 'nginx.config').files) {
    for (const d of walk(file.parsed)) {
      if (d.directive === 'include' && /fastcgi(_params|\.conf|-php\.conf)/.test(d.args[0] ?? '')) return d.args[0] as string;
    }
  }
  return 'fastcgi_params';
}

function sets(location: Directive | null, test: (d: Directive) => boolean): boolean {
  return (location?.block ?? []).some(test);
}

const switchProtocol: Planner = {
  needs: ['nginx.config', 'request.url', 'request.port', 'request.path', 'request.hostHeader', 'protocol.backend', 'protocol.seen', 'upstream.target', 'nginx.test', 'nginx.reload'],
  plan(facts): FixPlan {
    const route = routeOf(facts);
    const pass = route?.pass?.directive;
    const speaks = need(facts, 'protocol.backend');
    const target = need(facts, 'upstream.target');
    if (!route || !pass) return { commands: [], edits: [], notes: [`Make nginx speak to ${target} the protocol it speaks: ${need(facts, 'protocol.seen')}.`] };
    const address = passAddress(pass);
    const before = directiveText(pass.directive, pass.args);
    const place = { file: pass.file, line: pass.line };
    const edit = (after: string, why: string): FixPlan['edits'][number] => ({ ...place, before, after, why });
    const reload = testAndReload(facts);

    if (speaks === 'https') {
      const after =
        pass.directive === 'proxy_pass' ? directiveText('proxy_pass', [(pass.args[0] ?? '').replace(/^http:\/\//i, 'https://')]) : directiveText('proxy_pass', [proxyTarget('https', address)]);
      return {
        commands: reload,
        edits: [edit(after, `${target} speaks HTTPS`)],
        notes: [
          "nginx does not check the backend's certificate unless proxy_ssl_verify is on; if the backend needs to see its name (SNI), add proxy_ssl_server_name on.",
          `Or make the backend serve plain HTTP at ${target}; then nginx needs no change.`,
        ],
      };
    }
    if (speaks === 'fastcgi' || speaks === 'uwsgi') {
      const fastcgi = speaks === 'fastcgi';
      const lines = [directiveText(fastcgi ? 'fastcgi_pass' : 'uwsgi_pass', [address])];
      // In the parsed tree an include is replaced by what it includes: the params show as *_param lines.
      const params = sets(route.location, (d) => d.directive === (fastcgi ? 'fastcgi_param' : 'uwsgi_param') && d.args[0] === 'REQUEST_METHOD');
      if (!params) lines.push(directiveText('include', [fastcgi ? fastcgiInclude(facts) : 'uwsgi_params']));
      const include = lines[1] ?? '';
      const scriptSet = /fastcgi\.conf|fastcgi-php\.conf/.test(include) || sets(route.location, (d) => d.directive === 'fastcgi_param' && d.args[0] === 'SCRIPT_FILENAME');
      if (fastcgi && !scriptSet) lines.push(directiveText('fastcgi_param', ['SCRIPT_FILENAME', '$document_root$fastcgi_script_name']));
      const notes = [
        `The ${fastcgi ? 'fastcgi_params' : 'uwsgi_params'} file ships with nginx next to nginx.conf (/etc/nginx/ on Debian); a relative include is read from nginx's configuration folder.`,
      ];
      if (fastcgi) notes.push('SCRIPT_FILENAME tells php-fpm which file to run: $document_root is the root of this server or location, so root must name the folder of the PHP files.');
      if (pass.directive === 'proxy_pass' && /^[a-z]+:\/\/[^/]+\/./i.test(pass.args[0] ?? ''))
        notes.push(`The URI part of ${pass.args[0]} has no meaning for ${fastcgi ? 'fastcgi_pass' : 'uwsgi_pass'} and is dropped.`);
      return { commands: reload, edits: [edit(lines.join(INDENT), `${target} is a ${fastcgi ? 'FastCGI' : 'uwsgi'} server, not an HTTP one`)], notes };
    }
    if (speaks === 'http') {
      const module = route.pass?.module ?? 'fastcgi';
      const edits = [edit(directiveText('proxy_pass', [proxyTarget('http', address)]), `${target} speaks plain HTTP`)];
      if (module === 'proxy') return { commands: reload, edits, notes: [`Or make ${target} speak HTTPS, as nginx expects; then nginx needs no change.`] };
      const leftovers = sets(route.location, (d) => d.directive.startsWith(`${module}_`) && d.directive !== `${module}_pass`);
      return {
        commands: reload,
        edits,
        notes: [
          ...(leftovers ? [`The ${module}_* lines (and the params file they came from) in this location do nothing for proxy_pass; remove them when convenient.`] : []),
          `Or, if ${target} should be ${SERVER_OF[module] ?? `a ${module} server`}, run that there instead and leave nginx as it is.`,
        ],
      };
    }
    return {
      commands: [],
      edits: [],
      notes: [
        `${target} is no web backend: ${need(facts, 'protocol.seen')}.`,
        "Find the address where the application itself serves (its config, or ss -ltnp), and point nginx's pass directive at it.",
      ],
    };
  },
};

const keepaliveTimeout: Planner = {
  needs: ['nginx.config', 'keepalive.place', 'keepalive.timeoutSet', 'keepalive.suggested', 'keepalive.behaviour', 'nginx.test', 'nginx.reload'],
  plan(facts): FixPlan {
    const place = need(facts, 'keepalive.place');
    const value = need(facts, 'keepalive.suggested');
    const setting = directiveText('keepalive_timeout', [value]);
    const existing = facts['keepalive.timeoutSet'] === true;
    const directive = directiveAt(facts, place, (d) => d.directive === (existing ? 'keepalive_timeout' : 'keepalive'));
    const before = directive ? directiveText(directive.directive, directive.args) : '';
    const after = existing ? setting : `${before}${INDENT}${setting}`;
    const backend = need(facts, 'keepalive.behaviour');
    return {
      commands: testAndReload(facts),
      edits: [{ file: place.file, line: place.line, before, after, why: `close idle connections before the backend gives up on them (it ${backend})` }],
      notes: [
        "Or raise the backend's own idle timeout above nginx's keepalive_timeout (gunicorn --keep-alive, Node.js server.keepAliveTimeout, uvicorn --timeout-keep-alive, Apache KeepAliveTimeout): the side that closes idle connections must be nginx.",
        'nginx sends a failed GET or HEAD again on another connection by itself, but never a POST, PUT or PATCH: that is why mostly those fail, now and then.',
        'keepalive_timeout inside upstream{} needs nginx 1.15.3 or newer.',
      ],
    };
  },
};

/** php-fpm closes a kept connection whenever a child ends (pm.max_requests): nginx stops keeping FastCGI connections. */
const fastcgiKeepConnOff: Planner = {
  needs: ['nginx.config', 'keepalive.keepConn', 'keepalive.behaviour', 'nginx.test', 'nginx.reload'],
  plan(facts): FixPlan {
    const place = need(facts, 'keepalive.keepConn');
    const directive = directiveAt(facts, place, (d) => d.directive === 'fastcgi_keep_conn');
    return {
      commands: testAndReload(facts),
      edits: [
        {
          file: place.file,
          line: place.line,
          before: directive ? directiveText(directive.directive, directive.args) : 'fastcgi_keep_conn on;',
          after: directiveText('fastcgi_keep_conn', ['off']),
          why: `a new connection for every request: php-fpm ${need(facts, 'keepalive.behaviour')}`,
        },
      ],
      notes: [
        'Or set pm.max_requests = 0 in the pool, if its children do not leak memory: then no child ends while nginx keeps its connection. The keepalive line of the upstream{} does nothing for FastCGI once fastcgi_keep_conn is off.',
        'nginx sends a failed GET or HEAD again by itself, but never a POST: that is why mostly POSTs fail, now and then.',
      ],
    };
  },
};

/** What the crash lines say a person should look at: an out-of-memory kill, native code, an exception, a timeout. */
export function whyItDied(lines: string): string[] {
  const out: string[] = [];
  if (/SIGKILL|signal 9\b|Out of memory|oom|Killed process/i.test(lines)) {
    out.push(
      "SIGKILL comes from outside the process: the kernel's out-of-memory killer (dmesg -T | grep -i 'killed process'), a supervisor's timeout, or a person. Compare the workers' memory (workers × memory each) with the box's.",
    );
  }
  if (/SIGSEGV|SIGBUS|SIGABRT|SIGILL|segfault|Segmentation fault|Fatal Python error|core dumped/i.test(lines)) {
    out.push('A segmentation fault is a bug in native code (a PHP extension, a C library under a Python or Node package): update or disable it, and catch a core dump to see where.');
  }
  if (/Traceback|Error:|Exception/.test(lines)) out.push('The exception names the file and line: fix it there, or catch it so the backend answers 500 instead of dropping the connection.');
  if (/execution timed out/.test(lines)) out.push("php-fpm's request_terminate_timeout killed the worker mid-request: the script runs longer than the pool allows.");
  if (/\bHARAKIRI ON WORKER\b/.test(lines)) {
    out.push(
      "uWSGI's harakiri killed the worker mid-request: the request ran longer than the harakiri seconds its ini or command sets. Make the view faster, or raise harakiri and restart uWSGI; a longer uwsgi_read_timeout alone changes nothing.",
    );
  }
  if (/\bWORKER TIMEOUT\b/.test(lines)) {
    out.push(
      "gunicorn's master killed the worker mid-request because the request ran longer than its --timeout (30 s unless the command says): make the view faster, or raise --timeout in gunicorn's command and restart it. A longer proxy_read_timeout alone changes nothing.",
    );
  }
  return out;
}

const backendCrashed: Planner = {
  needs: ['crash.logs', 'crash.lines', 'backend.process'],
  plan(facts): FixPlan {
    const logs = need(facts, 'crash.logs');
    const lines = need(facts, 'crash.lines').join('\n');
    const unit = facts['crash.unit'];
    const process = need(facts, 'backend.process');
    const commands = logs.map((log) => ({ argv: ['tail', '-n', '200', '--', log], why: `read what ${process} wrote before and after it died`, durable: true }));
    if (unit) {
      commands.push({ argv: ['journalctl', '-u', unit, '--since', '-1h', '--no-pager'], why: `the journal of ${unit}: its own output and systemd's note of each exit`, durable: true });
      commands.push({
        argv: ['systemctl', 'show', '-p', 'Restart', '-p', 'NRestarts', '-p', 'Result', '--', unit],
        why: 'whether systemd restarts it after a crash, and how often it did',
        durable: true,
      });
    }
    const notes = ['Restarting the backend is not the fix: it comes back and dies again on the same kind of request. The lines shown say why it died.', ...whyItDied(lines)];
    notes.push(
      unit
        ? `systemd runs it as ${unit}: Restart= decides whether it comes back by itself.`
        : 'Whatever started it (a supervisor, a container restart policy, an init script) decides whether it comes back after a crash.',
    );
    return { commands, edits: [], notes };
  },
};

const backendHeaders: Planner = {
  needs: ['response.badLine', 'response.problem', 'upstream.target'],
  plan(facts): FixPlan {
    return {
      commands: [],
      edits: [],
      notes: [
        `The backend at ${need(facts, 'upstream.target')} must send valid response headers. The line to fix: ${need(facts, 'response.badLine')}.`,
        'Nothing to change in nginx: it is right to refuse this response, and no nginx setting makes it accept a broken header line from a backend.',
        'Look where the application sets that header: a value holding a line break or a NUL (often text from a user or an error message), or a name with a space. Strip or encode such characters before they reach a header.',
      ],
    };
  },
};

export const CLOSED_PLANNERS: Record<string, Planner> = {
  'switch-protocol': switchProtocol,
  'keepalive-timeout': keepaliveTimeout,
  'fastcgi-keep-conn-off': fastcgiKeepConnOff,
  'backend-crashed': backendCrashed,
  'backend-headers': backendHeaders,
};
