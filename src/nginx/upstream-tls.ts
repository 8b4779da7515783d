/**
 * How nginx shakes hands with an https (or grpcs, uwsgi over TLS) upstream for one route: the name it
 * sends and checks, what it trusts, which versions it offers. Pure; defaults are nginx's own.
 */
import type { Directive } from './config-types.js';
import { effectiveDirective, type Route } from './route.js';

export interface UpstreamTls {
  /** proxy, grpc or uwsgi: the prefix of its *_ssl_* directives. */
  module: string;
  /** proxy_ssl_name, else the host written in proxy_pass (an upstream{} name for a group). */
  name: string;
  /** Where proxy_ssl_name is written, when it is. */
  nameDirective: Directive | null;
  /** proxy_ssl_server_name on (default off); nginx never sends an IP address as SNI. */
  serverNameOn: boolean;
  sendsSni: boolean;
  serverNameDirective: Directive | null;
  verify: boolean;
  verifyDirective: Directive | null;
  /** proxy_ssl_trusted_certificate, made absolute against the config's folder; null when not set. */
  trusted: string | null;
  trustedDirective: Directive | null;
  /** proxy_ssl_verify_depth (default 1: the certificate and one issuer above it). */
  verifyDepth: number;
  protocols: string[];
  protocolsDirective: Directive | null;
}

const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[?[0-9a-fA-F:]*:[0-9a-fA-F:.]*\]?)$/;

function versionAtLeast(version: string, wanted: [number, number, number]): boolean {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const a = parts[i] ?? 0;
    const b = wanted[i] as number;
    if (a !== b) return a > b;
  }
  return true;
}

/** nginx 1.23.4 added TLSv1.3 to the default and dropped TLSv1 and TLSv1.1 for upstreams. */
export function defaultProtocols(nginxVersion: string): string[] {
  return versionAtLeast(nginxVersion, [1, 23, 4]) ? ['TLSv1.2', 'TLSv1.3'] : ['TLSv1', 'TLSv1.1', 'TLSv1.2'];
}

/** "https://app.example:8443/x" -> "app.example"; "https://[::1]:8443" -> "::1". */
export function hostOfPass(arg: string): string {
  const rest = arg.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0] ?? '';
  if (rest.startsWith('[')) return rest.slice(1, rest.indexOf(']'));
  return rest.split(':')[0] ?? rest;
}

function isOn(d: Directive | null): boolean {
  return d?.args[0]?.toLowerCase() === 'on';
}

export function upstreamTls(route: Route, nginxVersion: string, confDir: string): UpstreamTls | null {
  const pass = route.pass;
  if (!pass) return null;
  const module = pass.module;
  const get = (name: string) => effectiveDirective(route, `${module}_ssl_${name}`);
  const nameDirective = get('name');
  const written = nameDirective?.args[0];
  const name = written !== undefined && !written.includes('$') ? written : (pass.group ?? hostOfPass(pass.directive.args[0] ?? ''));
  const serverNameDirective = get('server_name');
  const serverNameOn = isOn(serverNameDirective);
  const verifyDirective = get('verify');
  const trustedDirective = get('trusted_certificate');
  const trustedArg = trustedDirective?.args[0];
  const trusted = trustedArg ? (trustedArg.startsWith('/') ? trustedArg : `${confDir.replace(/\/+$/, '')}/${trustedArg}`) : null;
  const depth = Number.parseInt(get('verify_depth')?.args[0] ?? '', 10);
  const protocolsDirective = get('protocols');
  return {
    module,
    name,
    nameDirective,
    serverNameOn,
    sendsSni: serverNameOn && !IP.test(name),
    serverNameDirective,
    verify: isOn(verifyDirective),
    verifyDirective,
    trusted,
    trustedDirective,
    verifyDepth: Number.isFinite(depth) ? depth : 1,
    protocols: protocolsDirective ? protocolsDirective.args : defaultProtocols(nginxVersion),
    protocolsDirective,
  };
}
