import type { Directive, NginxConfig } from './config-types.js';
import { addressIn } from './client-address.js';
import { describeLocation, findLocation, locationSpec, namedLocation, PASS_DIRECTIVES } from './location-match.js';
import { passParams } from './pass-params.js';
import { passTarget } from './pass-target.js';
import { MatchLimit } from './pcre-deadline.js';
import { normalizeUri, splitArgs } from './request-uri.js';
import { REDIRECTS, RewriteModule, type RewriteEnd } from './rewrite-module.js';
import type { PathKinds, RequestTarget, Route } from './route-types.js';
import { children, pickServer, serversFor, serversIn } from './server-select.js';
import { evaluate, takeCaptures, Undecided, type RequestState } from './variables.js';
import { NeedPaths, written } from './walk-state.js';

/** nginx answers 500 after this many URI changes (rewrites that restart the location search, internal redirects). */
const MAX_URI_CHANGES = 10;

/** Where the walk goes next: nginx's phases, restarted by internal redirects. */
type Next = { to: 'server-rewrite' } | { to: 'find-location' } | { to: 'named'; location: Directive } | { to: 'done'; route: Omit<Route, 'steps' | 'unknownPaths' | 'undecided'> };

/** The pass modules that send the backend name/value params of their own (fastcgi_param, uwsgi_param, scgi_param). */
const PARAM_MODULES = new Set(['fastcgi', 'uwsgi', 'scgi']);

/** Content handlers of a location that answer without a file or a backend. */
const SELF_ANSWERING = new Set(['stub_status', 'empty_gif']);

/** Content handlers whose answer is code of its own (Lua, njs, Perl): nginx does not proxy, and the status is the code's. */
const SCRIPTED = new Set(['content_by_lua', 'content_by_lua_block', 'content_by_lua_file', 'js_content', 'perl']);

/** nginx's request processing after the server is chosen: find the location, its phases, and every internal redirect. */
class RequestWalk extends RewriteModule {
  // ---- answers nginx makes itself, and error_page -----------------------------------------------

  /** nginx answers with this status itself; error_page may send the request elsewhere instead. */
  answer(outcome: Route['outcome'], status: number, extra: Partial<Route> = {}): Next {
    const page = this.errorPageFor(status);
    if (page && (!this.errorPaged || this.inForce('recursive_error_pages')?.args[0] === 'on')) {
      const [target, override] = page;
      this.errorPaged = true;
      this.statusOverride = override === undefined ? status : override;
      if (this.scope.request.method !== 'HEAD') this.scope.request.method = 'GET';
      this.step('error_page', `nginx would answer ${status}; ${written(page[2])} sends it to ${target}`, page[2]);
      if (target.startsWith('@')) {
        const named = namedLocation(this.picked.server, target);
        if (!named) return this.finish('return', 500);
        return { to: 'named', location: named };
      }
      const url = this.value(target);
      if (url instanceof Undecided) return this.finish('return', status);
      if (/^https?:\/\//.test(url) || target.startsWith('$scheme')) {
        this.statusOverride = undefined;
        return this.finish('redirect', override && REDIRECTS.has(override) ? override : 302, { redirectTo: url });
      }
      const { uri, args } = splitArgs(url);
      this.scope.request.uri = uri;
      this.scope.request.args = args ?? '';
      this.internal = true;
      return { to: 'server-rewrite' };
    }
    return this.finish(outcome, status, extra);
  }

  /** [target, "=code" (null for a bare "="), the directive] of the error_page in force for this status. */
  errorPageFor(status: number): [string, number | null | undefined, Directive] | null {
    for (let i = this.chain.length - 1; i >= 0; i--) {
      const pages = children(this.chain[i], 'error_page');
      if (pages.length === 0) continue;
      for (const d of pages) {
        const codes = d.args.slice(0, -1);
        if (!codes.some((c) => c === String(status))) continue;
        const overrideArg = codes.find((c) => c.startsWith('='));
        const override = overrideArg === undefined ? undefined : overrideArg === '=' ? null : Number(overrideArg.slice(1));
        return [d.args.at(-1)!, override, d];
      }
      return null;
    }
    return null;
  }

  /** nginx makes a relative Location absolute (absolute_redirect), with the Host or the server_name and the port. */
  absoluteLocation(location: string): string {
    if (!location.startsWith('/') || this.inForce('absolute_redirect')?.args[0] === 'off') return location;
    const { request } = this.scope;
    const byName = this.inForce('server_name_in_redirect')?.args[0] === 'on';
    const host = byName ? (children(this.picked.server, 'server_name')[0]?.args[0] ?? request.host) : request.host;
    const standard = request.https ? 443 : 80;
    const port = request.port === standard || this.inForce('port_in_redirect')?.args[0] === 'off' ? '' : `:${request.port}`;
    return `${request.https ? 'https' : 'http'}://${host}${port}${location}`;
  }

  finish(outcome: Route['outcome'], status: number | null, extra: Partial<Route> = {}): Next {
    const finalStatus = this.statusOverride ?? status;
    if (extra.redirectTo !== undefined) extra = { ...extra, redirectTo: this.absoluteLocation(extra.redirectTo) };
    const location = this.location;
    const spec = location ? locationSpec(location) : null;
    return {
      to: 'done',
      route: {
        outcome,
        server: this.picked.server,
        serverName: this.picked.name,
        serverBy: this.picked.by,
        location,
        locationMatch: location ? (spec ? describeLocation(spec) : `location ${location.args.join(' ')}`) : '(no location)',
        pass: null,
        chain: this.chain,
        uri: this.scope.request.uri,
        status: finalStatus,
        ...extra,
      },
    };
  }

  // ---- the phases -------------------------------------------------------------------------------

  findLocation(): Next {
    // The first search is no change: nginx allows the request itself and then ten changes.
    if (++this.uriChanges > MAX_URI_CHANGES + 1) {
      this.step('note', `more than ${MAX_URI_CHANGES} URI changes: nginx stops with 500 ("rewrite or internal redirection cycle")`);
      return this.finish('return', 500);
    }
    const { uri, args } = this.scope.request;
    const found = findLocation(this.picked.server, uri);
    for (const note of found.unevaluated) this.undecide(`${note}: skipped`);
    if (found.captures) takeCaptures(this.scope, found.captures);
    this.chain = [this.http, this.picked.server, ...found.path.map((s) => s.directive)];
    const inner = found.path.at(-1);
    if (found.autoRedirect) {
      const to = `${uri}/${args ? `?${args}` : ''}`;
      this.step('redirect', `${describeLocation(found.autoRedirect)} passes to a backend and the URI lacks its slash: nginx answers 301 to ${to}`, found.autoRedirect.directive);
      return this.answer('redirect', 301, { redirectTo: to });
    }
    if (!inner) {
      this.step('location', `no location matches ${uri}: the server's own configuration handles it`, this.picked.server);
      return this.locationPhases();
    }
    this.step('location', `${uri} matches ${found.path.map(describeLocation).join(' > ')}`, inner.directive);
    if (!this.internal && found.path.some((s) => children(s.directive, 'internal').length > 0)) {
      this.step('location', `${describeLocation(inner)} is internal: a request from outside gets 404`, inner.directive);
      return this.answer('return', 404);
    }
    return this.locationPhases();
  }

  named(location: Directive): Next {
    if (++this.uriChanges > MAX_URI_CHANGES) return this.finish('return', 500);
    this.chain = [this.http, this.picked.server, location];
    this.internal = true;
    this.step('location', `the request goes to the named location ${location.args[0]}`, location);
    return this.locationPhases();
  }

  serverRewrite(): Next {
    this.chain = [this.http, this.picked.server];
    const end = this.rewrites(this.picked.server, false);
    if (end.kind === 'answer') return this.rewriteAnswer(end);
    return { to: 'find-location' };
  }

  rewriteAnswer(end: Extract<RewriteEnd, { kind: 'answer' }>): Next {
    const text = end.location ? `${written(end.at)}: nginx answers ${end.status}, Location ${end.location}` : `${written(end.at)}: nginx answers ${end.status} itself`;
    this.step(end.at.directive === 'rewrite' ? 'redirect' : 'return', text, end.at);
    return this.answer(end.location ? 'redirect' : 'return', end.status, end.location ? { redirectTo: end.location } : {});
  }

  locationPhases(): Next {
    const location = this.location;
    if (location) {
      const end = this.rewrites(location, true);
      if (end.kind === 'answer') return this.rewriteAnswer(end);
      if (end.kind === 'last' || (end.kind === 'continue' && end.uriChanged)) return { to: 'find-location' };
    }
    const refused = this.access(location);
    if (refused) return refused;
    // An if block in force is a configuration of its own, and try_files is not inherited into it.
    const inForce = this.chain.at(-1)?.directive === 'if' ? this.chain.at(-1)! : (location ?? this.picked.server);
    const tried = this.tryFiles(inForce);
    if (tried) return tried;
    return this.content();
  }

  /** The access phase: allow/deny (a limit_except block's, for a method it does not list), then auth_basic. */
  access(location: Directive | null): Next | null {
    const { method, client, headers } = this.scope.request;
    const limit = location ? children(location, 'limit_except')[0] : undefined;
    const allowed = limit?.args.map((m) => m.toUpperCase()) ?? [];
    const levels = limit && !allowed.includes(method) && !(method === 'HEAD' && allowed.includes('GET')) ? [...this.chain, limit] : this.chain;
    const rulesAt = [...levels].reverse().find((level) => (level.block ?? []).some((d) => d.directive === 'allow' || d.directive === 'deny'));
    for (const rule of (rulesAt?.block ?? []).filter((d) => d.directive === 'allow' || d.directive === 'deny')) {
      const who = rule.args[0] ?? '';
      const matches = who === 'all' ? true : client === undefined ? null : addressIn(client, who);
      if (matches === null) {
        // A request that failed with 502 got past the rules: take the client as one an allow lets through.
        const taken = rule.directive === 'allow' ? 'taken as letting this client through' : 'taken as not matching';
        this.undecide(`${written(rule)} (${rule.file}:${rule.line}) depends on the client's address: ${taken}`);
        if (rule.directive === 'allow') return null;
        continue;
      }
      if (!matches) continue;
      if (rule.directive === 'allow') return null;
      this.step('access', `${written(rule)}: nginx refuses the request (403)`, rule);
      return this.answer('served', 403);
    }
    const auth = this.inForceAt(levels, 'auth_basic');
    if (auth && auth.args[0] !== 'off') {
      if (!headers) this.undecide(`${written(auth)} (${auth.file}:${auth.line}): a request without credentials gets 401`);
      else if (!headers.authorization) {
        this.step('access', `${written(auth)}: a request without credentials gets 401`, auth);
        return this.answer('served', 401);
      }
    }
    return null;
  }

  inForceAt(levels: Directive[], name: string): Directive | null {
    for (let i = levels.length - 1; i >= 0; i--) {
      const found = children(levels[i], name)[0];
      if (found) return found;
    }
    return null;
  }

  tryFiles(level: Directive): Next | null {
    const d = children(level, 'try_files')[0];
    if (!d) return null;
    const tests = d.args.slice(0, -1);
    const fallback = d.args.at(-1)!;
    const paths: { arg: string; value: string; path: string; dir: boolean }[] = [];
    for (const arg of tests) {
      const dir = arg.endsWith('/');
      const value = this.value(dir ? arg.slice(0, -1) : arg);
      if (value instanceof Undecided) continue;
      const path = this.triedPath(value);
      if (path instanceof Undecided) continue;
      paths.push({ arg, value, path, dir });
    }
    for (const p of paths) this.kindOf(p.path);
    for (const p of paths) {
      const kind = this.kinds?.[p.path];
      if (kind === undefined) throw new NeedPaths([...this.unknown]);
      if (p.dir ? kind === 'dir' : kind === 'file') {
        this.step('try_files', `${written(d)}: ${p.arg} exists (${p.dir ? 'a directory' : 'a file'}, ${p.path}); the URI becomes ${p.value}`, d);
        this.scope.request.uri = p.value;
        return null;
      }
    }
    const absent = paths.map((p) => p.path).join(', ');
    const none = paths.length ? `none of ${absent} exists` : 'nothing to test';
    if (/^=\d+$/.test(fallback)) {
      this.step('try_files', `${written(d)}: ${none}, so nginx answers ${fallback.slice(1)}`, d);
      return this.answer('return', Number(fallback.slice(1)));
    }
    if (fallback.startsWith('@')) {
      this.step('try_files', `${written(d)}: ${none}, so the request goes to ${fallback}`, d);
      const named = namedLocation(this.picked.server, fallback);
      if (!named) return this.answer('return', 500);
      return { to: 'named', location: named };
    }
    const target = this.value(fallback);
    if (target instanceof Undecided) return this.finish('undecided', null);
    const { uri, args } = splitArgs(target);
    this.step('try_files', `${written(d)}: ${none}, so nginx redirects internally to ${target}`, d);
    this.scope.request.uri = uri;
    // A fallback without "?" leaves the request without arguments (ngx_http_split_args).
    this.scope.request.args = args ?? '';
    this.internal = true;
    return { to: 'server-rewrite' };
  }

  /** The *_pass in force: the location's own, or its if block's (an if inherits the location's handler). */
  passDirective(): Directive | null {
    for (let i = this.chain.length - 1; i >= 2; i--) {
      const found = (this.chain[i]!.block ?? []).find((d) => (PASS_DIRECTIVES as readonly string[]).includes(d.directive));
      if (found) return found;
      if (this.chain[i]!.directive === 'location') break;
    }
    return null;
  }

  content(): Next {
    const pass = this.passDirective();
    if (pass) return this.proxied(pass);
    const scripted = this.location && (this.location.block ?? []).find((d) => SCRIPTED.has(d.directive));
    if (scripted) {
      this.step('static', `${scripted.directive}: code in nginx answers the request (what it sends is up to that code)`, scripted);
      return this.finish('return', null);
    }
    const own = this.location && (this.location.block ?? []).find((d) => SELF_ANSWERING.has(d.directive));
    if (own) {
      this.step('static', `${written(own)}: nginx answers 200 itself`, own);
      return this.finish('return', 200);
    }
    const { uri, method } = this.scope.request;
    if (!['GET', 'HEAD', 'POST'].includes(method)) {
      this.step('static', `no backend here, and nginx's index and static modules refuse ${method} (405)`);
      return this.answer('served', 405);
    }
    if (uri.endsWith('/')) return this.index();
    const path = this.docPath(uri);
    if (path instanceof Undecided) return this.finish('undecided', null);
    const kind = this.kindOf(path);
    if (kind === undefined) throw new NeedPaths([...this.unknown]);
    if (kind === 'dir') {
      const to = `${uri}/${this.scope.request.args ? `?${this.scope.request.args}` : ''}`;
      this.step('static', `${path} is a directory: nginx answers 301 to ${to}`);
      return this.answer('redirect', 301, { redirectTo: to });
    }
    if (kind === 'none') {
      this.step('static', `nginx looks for the file ${path}: it does not exist (404)`);
      return this.answer('served', 404);
    }
    if (!['GET', 'HEAD'].includes(method)) {
      this.step('static', `${path} is a static file; nginx refuses ${method} on it (405)`);
      return this.answer('served', 405, { file: path });
    }
    this.step('static', `nginx serves the file ${path} itself`);
    return this.finish('served', 200, { file: path });
  }

  index(): Next {
    const { uri } = this.scope.request;
    const names = this.allInForce('index')
      .flatMap((d) => d.args)
      .map((n) => this.value(n));
    if (names.length === 0) names.push('index.html');
    const dirPath = this.docPath(uri);
    if (dirPath instanceof Undecided) return this.finish('undecided', null);
    const at = this.inForce('index');
    const candidates: { name: string; path: string | null }[] = [];
    for (const name of names) {
      if (name instanceof Undecided) continue;
      candidates.push({ name, path: name.startsWith('/') ? null : dirPath + name });
      if (name.startsWith('/')) break;
    }
    for (const c of candidates) if (c.path) this.kindOf(c.path);
    this.kindOf(dirPath);
    for (const c of candidates) {
      if (c.path === null) return this.indexRedirect(c.name, at);
      const kind = this.kinds?.[c.path];
      if (kind === undefined) throw new NeedPaths([...this.unknown]);
      if (kind !== 'none') return this.indexRedirect(uri + c.name, at, c.path);
      const dirKind = this.kinds?.[dirPath];
      if (dirKind === undefined) throw new NeedPaths([...this.unknown]);
      if (dirKind !== 'dir') {
        this.step('index', `the directory ${dirPath} does not exist (404)`, at ?? undefined);
        return this.answer('served', 404);
      }
    }
    if (this.inForce('autoindex')?.args[0] === 'on') {
      this.step('index', `no index file in ${dirPath}; autoindex lists the directory`, this.inForce('autoindex')!);
      return this.finish('served', 200, { file: dirPath });
    }
    this.step('index', `no index file (${candidates.map((c) => c.name).join(', ')}) in ${dirPath}: nginx answers 403 (directory index is forbidden)`, at ?? undefined);
    return this.answer('served', 403);
  }

  indexRedirect(to: string, at: Directive | null, path?: string): Next {
    this.step('index', `${path ? `${path} exists` : `${to} is absolute`}: index redirects internally to ${to}`, at ?? undefined);
    this.scope.request.uri = to;
    this.internal = true;
    return { to: 'server-rewrite' };
  }

  proxied(d: Directive): Next {
    const raw = d.args[0] ?? '';
    const value = evaluate(this.scope, raw);
    const partial =
      value instanceof Undecided
        ? raw.replace(/\$(?:\{(\w+)\}|(\d|\w+))/g, (whole) => {
            const one = evaluate(this.scope, whole);
            return one instanceof Undecided ? whole : one;
          })
        : undefined;
    if (value instanceof Undecided) this.undecide(value.what);
    const pass = passTarget(this.config, d, value instanceof Undecided ? partial! : value, partial);
    if (!pass.unresolved && pass.servers.some((s) => s.kind === 'tcp' && !s.host)) {
      this.step('pass', `${written(d)} evaluates to ${value as string}, which names no server: nginx answers 500 ("invalid URL prefix" or "no host")`, d);
      return this.answer('return', 500);
    }
    const servers = pass.servers.map((s) => s.target).join(', ');
    const perRequest = () => {
      const options = this.mapCandidates(d);
      return `a target it works out per request (${pass.unresolved})${options.length ? `: one of ${options.join(', ')}` : ''}`;
    };
    this.step('pass', `${written(d)}: nginx hands the request to ${pass.unresolved ? perRequest() : `${pass.group ? `upstream ${pass.group} (${servers})` : servers}`}`, d);
    const page = this.errorPageFor(502);
    if (page && !this.errorPaged) this.step('note', `if the backend fails, ${written(page[2])} sends the request on to ${page[0]}`, page[2]);
    const done = this.finish('proxied', this.statusOverride ?? null);
    if (done.to === 'done') {
      done.route.pass = pass;
      if (PARAM_MODULES.has(pass.module)) done.route.params = passParams(this.chain, pass.module, this.scope);
    }
    return done;
  }

  /** The targets a *_pass can take when a map{} decides its variable and the map's input is not known: one per map value. */
  mapCandidates(pass: Directive): string[] {
    const raw = pass.args[0] ?? '';
    const name = [...raw.matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[1]!.toLowerCase()).find((n) => this.scope.maps.has(n));
    const map = name ? this.scope.maps.get(name) : undefined;
    if (!name || !map) return [];
    const values = [...new Set((map.block ?? []).filter((e) => !['hostnames', 'include', 'volatile'].includes(e.directive)).map((e) => e.args[0] ?? ''))];
    return values.flatMap((value) => {
      const saved = this.scope.vars.get(name);
      this.scope.vars.set(name, value);
      const target = evaluate(this.scope, raw);
      if (saved === undefined) this.scope.vars.delete(name);
      else this.scope.vars.set(name, saved);
      if (target instanceof Undecided) return [];
      const servers = passTarget(this.config, pass, target).servers.map((s) => s.target);
      return [`${value} (${servers.join(', ') || target})`];
    });
  }

  run(): Next {
    let next: Next = { to: 'server-rewrite' };
    for (let i = 0; i < 4 * MAX_URI_CHANGES && next.to !== 'done'; i++) {
      if (next.to === 'server-rewrite') next = this.serverRewrite();
      else if (next.to === 'find-location') next = this.findLocation();
      else next = this.named(next.location);
    }
    return next.to === 'done' ? next : this.finish('return', 500);
  }
}

/** Which server and location nginx picks for a request, every internal redirect on the way, and what the last one does. Null when no server listens there. */
export function walkRequest(config: NginxConfig, target: RequestTarget, kinds: PathKinds | undefined, prefix: string): Route | null {
  const http = config.tree.find((d) => d.directive === 'http');
  if (!http) return null;
  const picked = pickServer(serversFor(serversIn(http), target.port, target.address), target.hostHeader);
  if (!picked) return null;
  const { uri, args } = splitArgs(target.path);
  const request: RequestState = {
    method: (target.method ?? 'GET').toUpperCase(),
    uri: normalizeUri(uri) ?? uri,
    args: args ?? '',
    requestUri: target.path,
    host: target.hostHeader.replace(/:\d+$/, '').toLowerCase(),
    port: target.port,
    ...(target.address ? { address: target.address } : {}),
    https: target.https ?? false,
    ...(target.headers ? { headers: { host: target.hostHeader, ...target.headers } } : {}),
    ...(target.client ? { client: target.client } : {}),
  };
  const walk = new RequestWalk(config, http, picked, request, kinds, prefix);
  const why = picked.by === 'default' ? `no server_name matches ${request.host}: the default server of port ${target.port}` : `server_name ${picked.name} matches ${request.host} (${picked.by})`;
  walk.step('server', why, picked.server);
  for (const note of picked.notes) walk.undecide(note);
  let done: Next;
  try {
    if (normalizeUri(uri) === null) {
      walk.step('note', `${target.path} is not a valid request path (a NUL, a bad %-escape, or .. above the root): nginx answers 400`);
      done = walk.finish('return', 400);
    } else done = walk.run();
  } catch (error) {
    if (error instanceof MatchLimit) {
      walk.step('note', error.message);
      done = walk.finish('return', 500);
    } else if (error instanceof NeedPaths) done = walk.finish('undecided', null);
    else throw error;
  }
  const route = (done as Extract<Next, { to: 'done' }>).route;
  for (const note of walk.scope.notes) walk.undecide(note);
  const unknownPaths = route.outcome === 'undecided' ? [...walk.unknown].filter((p) => kinds?.[p] === undefined) : [];
  return { ...route, steps: walk.steps, unknownPaths, undecided: walk.undecided };
}
