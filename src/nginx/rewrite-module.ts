import type { Directive } from './config-types.js';
import { compilePcre } from './pcre.js';
import { Undecided, evaluate, takeCaptures } from './variables.js';
import { NeedPaths, WalkState, written } from './walk-state.js';

export const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** How the rewrite directives of one level ended. */
export type RewriteEnd = { kind: 'continue'; uriChanged: boolean } | { kind: 'last' } | { kind: 'break' } | { kind: 'answer'; status: number; location?: string; at: Directive };

/** nginx's rewrite module: set, rewrite, return, break and if, run in order as its script engine does. */
export class RewriteModule extends WalkState {
  // ---- the rewrite module: set, rewrite, return, break, if ----------------------------------------

  condition(d: Directive): boolean {
    const tokens = [...d.args];
    tokens[0] = (tokens[0] ?? '').replace(/^\(/, '');
    const lastToken = tokens.length - 1;
    tokens[lastToken] = (tokens[lastToken] ?? '').replace(/\)$/, '');
    const parts = tokens.filter((t, i) => t !== '' || i === 1);
    const [first = '', op, right = ''] = parts;
    const test = /^(!?)-([fdex])$/.exec(first);
    if (test) {
      const path = this.value(op ?? '');
      if (path instanceof Undecided) return false;
      const kind = this.kindOf(path);
      if (kind === undefined) throw new NeedPaths([...this.unknown]);
      const holds = test[2] === 'f' ? kind === 'file' : test[2] === 'd' ? kind === 'dir' : kind !== 'none';
      if (test[2] === 'x') this.undecide(`${written(d)} (${d.file}:${d.line}): whether the file is executable is taken as whether it exists`);
      return test[1] === '!' ? !holds : holds;
    }
    const left = this.value(first);
    if (left instanceof Undecided) {
      this.undecide(`${written(d)} (${d.file}:${d.line}) cannot be decided from the request: taken as false`);
      return false;
    }
    if (op === undefined) return left !== '' && left !== '0';
    if (op === '=' || op === '!=') {
      const value = this.value(right);
      if (value instanceof Undecided) return false;
      return (left === value) === (op === '=');
    }
    const regexOp = /^(!?)~(\*?)$/.exec(op);
    if (!regexOp) {
      this.undecide(`${written(d)} (${d.file}:${d.line}): an operator badgateway does not know; taken as false`);
      return false;
    }
    const regex = compilePcre(right, regexOp[2] === '*');
    if (!regex.ok) {
      this.undecide(`${written(d)} (${d.file}:${d.line}): ${regex.reason}; taken as false`);
      return false;
    }
    const match = regex.exec(left);
    if (match && regexOp[1] === '') takeCaptures(this.scope, match);
    return regexOp[1] === '!' ? !match : Boolean(match);
  }

  /** Runs the rewrite module's directives of one level in order, as nginx's script engine does. */
  rewrites(level: Directive, inLocation: boolean): RewriteEnd {
    let uriChanged = false;
    for (const d of level.block ?? []) {
      switch (d.directive) {
        case 'set': {
          const [name = '', value = ''] = d.args;
          this.scope.vars.set(name.replace(/^\$/, '').toLowerCase(), evaluate(this.scope, value));
          break;
        }
        case 'break':
          this.step('rewrite', 'break: the rewrite directives stop here', d);
          return { kind: 'break' };
        case 'return': {
          const [first = '', second] = d.args;
          if (!/^\d+$/.test(first)) {
            const url = this.value(first);
            return { kind: 'answer', status: 302, location: url instanceof Undecided ? first : url, at: d };
          }
          const status = Number(first);
          if (REDIRECTS.has(status) && second !== undefined) {
            const url = this.value(second);
            return { kind: 'answer', status, location: url instanceof Undecided ? second : url, at: d };
          }
          return { kind: 'answer', status, at: d };
        }
        case 'rewrite': {
          const end = this.rewrite(d);
          if (end === 'no-match') break;
          if (end === 'changed') {
            uriChanged = true;
            break;
          }
          return end;
        }
        case 'if': {
          if (!this.condition(d)) {
            this.step('if', `${written(d)}: false`, d);
            break;
          }
          this.step('if', `${written(d)}: true${inLocation ? ', its block is now the configuration in force' : ''}`, d);
          if (inLocation) this.chain = [...this.chain.filter((c) => c.directive !== 'if'), d];
          const inner = this.rewrites(d, inLocation);
          if (inner.kind !== 'continue') return inner;
          uriChanged ||= inner.uriChanged;
          break;
        }
      }
    }
    return { kind: 'continue', uriChanged };
  }

  rewrite(d: Directive): 'no-match' | 'changed' | RewriteEnd {
    const [pattern = '', replacement = '', flag] = d.args;
    const regex = compilePcre(pattern, false);
    if (!regex.ok) {
      this.undecide(`${written(d)} (${d.file}:${d.line}): ${regex.reason}; taken as not matching`);
      return 'no-match';
    }
    const { request } = this.scope;
    const match = regex.exec(request.uri);
    if (!match) return 'no-match';
    takeCaptures(this.scope, match);
    const value = this.value(replacement);
    if (value instanceof Undecided) return 'no-match';
    if (/^(https?:\/\/|\$scheme)/.test(replacement) || flag === 'redirect' || flag === 'permanent') {
      const keepArgs = !replacement.endsWith('?') && request.args ? `${value.includes('?') ? '&' : '?'}${request.args}` : '';
      const status = flag === 'permanent' ? 301 : 302;
      return { kind: 'answer', status, location: value.replace(/\?$/, '') + keepArgs, at: d };
    }
    // Only a "?" written in the replacement starts the arguments; one that a variable brings stays in the URI.
    const q = replacement.indexOf('?');
    if (q === -1) request.uri = value;
    else {
      const uri = this.value(replacement.slice(0, q));
      const args = this.value(replacement.slice(q + 1));
      if (uri instanceof Undecided || args instanceof Undecided) return 'no-match';
      request.uri = uri;
      request.args = replacement.endsWith('?') ? args : [args, request.args].filter(Boolean).join('&');
    }
    this.step('rewrite', `${written(d)}: the URI becomes ${request.uri}${request.args ? `?${request.args}` : ''}`, d);
    this.internal = true;
    if (flag === 'last') return { kind: 'last' };
    if (flag === 'break') return { kind: 'break' };
    return 'changed';
  }
}
