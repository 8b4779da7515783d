import type { Directive, NginxConfig } from './config-types.js';
import { locationSpec } from './location-match.js';
import { compilePcre } from './pcre.js';
import type { PathKinds, RouteStep } from './route-types.js';
import { children, type PickedServer } from './server-select.js';
import { evaluate, mapsOf, Undecided, type RequestState, type Scope, type VarValue } from './variables.js';

/** Thrown inside the walk when it needs to know what is at some paths on the box; walkRequest turns it into unknownPaths. */
export class NeedPaths {
  constructor(readonly paths: string[]) {}
}

export const place = (d: Directive): Pick<RouteStep, 'file' | 'line'> => ({ file: d.file, line: d.line });
export const written = (d: Directive): string => `${d.directive} ${d.args.join(' ')}`.trim();

/** What a request walk carries from phase to phase: the trail, the configuration in force, what the box said of paths. */
export class WalkState {
  readonly steps: RouteStep[] = [];
  readonly unknown = new Set<string>();
  readonly undecided: string[] = [];
  readonly scope: Scope;
  chain: Directive[];
  internal = false;
  errorPaged = false;
  /** After error_page: the status nginx answers with whatever the new target does (the original, or "=code"); null for a bare "=". */
  statusOverride: number | null | undefined = undefined;
  uriChanges = 0;

  constructor(
    readonly config: NginxConfig,
    readonly http: Directive,
    readonly picked: PickedServer,
    request: RequestState,
    readonly kinds: PathKinds | undefined,
    readonly prefix: string,
  ) {
    this.chain = [http, picked.server];
    this.scope = {
      request,
      vars: new Map(Object.entries(picked.captures ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? ''])),
      captures: picked.groups ?? [],
      derived: (name) => this.derived(name),
      maps: mapsOf(config),
      mapCache: new Map(),
      notes: [],
    };
  }

  step(kind: RouteStep['kind'], text: string, at?: Directive): void {
    this.steps.push({ kind, text, ...(at ? place(at) : {}) });
  }

  undecide(what: string): void {
    if (!this.undecided.includes(what)) this.undecided.push(what);
  }

  value(text: string): VarValue {
    const v = evaluate(this.scope, text);
    if (v instanceof Undecided) this.undecide(v.what);
    return v;
  }

  // ---- the configuration in force ---------------------------------------------------------------

  /** The directive in force for the current location: the innermost level that writes it. */
  inForce(name: string): Directive | null {
    for (let i = this.chain.length - 1; i >= 0; i--) {
      const found = children(this.chain[i], name)[0];
      if (found) return found;
    }
    return null;
  }

  /** Every directive of that name at the innermost level that writes any (index lines add up). */
  allInForce(name: string): Directive[] {
    for (let i = this.chain.length - 1; i >= 0; i--) {
      const found = children(this.chain[i], name);
      if (found.length) return found;
    }
    return [];
  }

  /** The innermost location{} of the chain (if blocks excluded); null when no location matched. */
  get location(): Directive | null {
    return [...this.chain].reverse().find((d) => d.directive === 'location') ?? null;
  }

  /** The root (or alias) in force: $document_root, and how a URI maps onto it. */
  documentRoot(): { root: string; alias: null | { prefix: string | null } } | Undecided {
    for (let i = this.chain.length - 1; i >= 0; i--) {
      const level = this.chain[i]!;
      const alias = children(level, 'alias')[0];
      if (alias) {
        const value = this.value(alias.args[0] ?? '');
        if (value instanceof Undecided) return value;
        const spec = locationSpec(level);
        const regex = !spec || spec.modifier === '~' || spec.modifier === '~*';
        return { root: this.absolute(value), alias: { prefix: regex ? null : spec.name } };
      }
      const root = children(level, 'root')[0];
      if (root) {
        const value = this.value(root.args[0] ?? '');
        return value instanceof Undecided ? value : { root: this.absolute(value), alias: null };
      }
    }
    return { root: this.absolute('html'), alias: null };
  }

  /** Where a URI lives on disk: root + URI, or the alias in place of the location's prefix (a regex location's alias is the whole path). */
  docPath(uri: string): string | Undecided {
    const doc = this.documentRoot();
    if (doc instanceof Undecided) return doc;
    if (!doc.alias) return doc.root + uri;
    if (doc.alias.prefix === null) return doc.root;
    return doc.root + (uri.startsWith(doc.alias.prefix) ? uri.slice(doc.alias.prefix.length) : uri);
  }

  /** What try_files tests for a name: like docPath, but a regex location's alias gets the name appended, as nginx does. */
  triedPath(name: string): string | Undecided {
    const doc = this.documentRoot();
    if (doc instanceof Undecided) return doc;
    return doc.alias?.prefix === null ? doc.root + name : this.docPath(name);
  }

  absolute(path: string): string {
    return path.startsWith('/') ? path : `${this.prefix.replace(/\/*$/, '/')}${path}`;
  }

  derived(name: string): VarValue | undefined {
    const uri = this.scope.request.uri;
    switch (name) {
      case 'document_root':
      case 'realpath_root': {
        const doc = this.documentRoot();
        return doc instanceof Undecided ? doc : doc.root;
      }
      case 'request_filename':
        return this.docPath(uri);
      case 'fastcgi_script_name':
      case 'fastcgi_path_info': {
        const split = this.inForce('fastcgi_split_path_info');
        let script = uri;
        let info = '';
        if (split) {
          const regex = compilePcre(split.args[0] ?? '', false);
          const match = regex.ok ? regex.exec(uri) : null;
          if (match) {
            script = match.groups[1] ?? '';
            info = match.groups[2] ?? '';
          }
        }
        if (name === 'fastcgi_path_info') return info;
        return script.endsWith('/') ? script + (this.inForce('fastcgi_index')?.args[0] ?? '') : script;
      }
      case 'server_name':
        return children(this.picked.server, 'server_name')[0]?.args[0] ?? '';
    }
    return undefined;
  }

  kindOf(path: string): 'dir' | 'file' | 'none' | undefined {
    const kind = this.kinds?.[path];
    if (kind === undefined) this.unknown.add(path);
    return kind;
  }
}
