import { dirname } from 'node:path';
import { need } from '../../facts/need.js';
import { routeOf } from '../../facts/route.js';
import type { FactKey, KnownFacts } from '../../facts/keys.js';
import type { Route } from '../../nginx/route.js';
import { upstreamTls, type UpstreamTls } from '../../nginx/upstream-tls.js';
import { setInLocation, type Setting } from '../location-edit.js';
import { directiveText, testAndReload } from '../nginx-edit.js';
import type { FixPlan, Planner } from '../plan.js';

const ROUTE: FactKey[] = ['nginx.config', 'nginx.version', 'nginx.confPath', 'request.port', 'request.hostHeader', 'request.path', 'request.url', 'nginx.test', 'nginx.reload'];

function context(facts: KnownFacts): { route: Route; tls: UpstreamTls } {
  const route = routeOf(facts);
  const tls = route ? upstreamTls(route, need(facts, 'nginx.version'), dirname(need(facts, 'nginx.confPath'))) : null;
  if (!route || !tls) throw new Error('the request no longer routes to an upstream');
  return { route, tls };
}

const NEVER_VERIFY_OFF =
  'Do not turn proxy_ssl_verify off to make the 502 go away: nginx would then send requests, cookies and passwords to whoever answers at that address. Only as a last resort, for a backend on a network you control, and knowing it removes that protection.';

/** The name nginx checks the certificate against: proxy_ssl_name, set to a name the certificate carries. */
const tlsName: Planner = {
  needs: [...ROUTE, 'tls.nginxName', 'tls.serverName', 'tls.certNames'],
  plan(facts): FixPlan {
    const { route, tls } = context(facts);
    const wanted = need(facts, 'tls.serverName');
    const names = need(facts, 'tls.certNames');
    const settings: Setting[] = wanted ? [{ directive: `${tls.module}_ssl_name`, args: [wanted], why: `the backend's certificate is for ${wanted}` }] : [];
    return {
      commands: testAndReload(facts),
      edits: setInLocation(route, settings),
      notes: [
        `nginx checks the certificate against ${tls.name} (${tls.nameDirective ? `${tls.module}_ssl_name` : `the host in ${tls.module}_pass`}); the certificate is for ${names.join(', ') || 'other names'}.`,
        ...(wanted ? [] : [`Set ${tls.module}_ssl_name to the name the backend really has, or have the backend's certificate issued for ${tls.name}.`]),
        `If ${tls.module}_ssl_server_name is on, nginx also sends this name as SNI, so the backend picks the matching certificate.`,
      ],
    };
  },
};

/** SNI: proxy_ssl_server_name on, and proxy_ssl_name when nginx's own name is not the one the backend serves. */
const tlsServerName: Planner = {
  needs: [...ROUTE, 'tls.nginxName', 'tls.sendsSni', 'tls.serverName'],
  plan(facts): FixPlan {
    const { route, tls } = context(facts);
    const wanted = need(facts, 'tls.serverName');
    const settings: Setting[] = [];
    if (!need(facts, 'tls.sendsSni')) settings.push({ directive: `${tls.module}_ssl_server_name`, args: ['on'], why: 'send the server name (SNI) in the handshake' });
    if (wanted && wanted !== tls.name) settings.push({ directive: `${tls.module}_ssl_name`, args: [wanted], why: `the backend answers for ${wanted}, not for ${tls.name}` });
    const source = tls.nameDirective ? `${tls.module}_ssl_name` : `the host in ${tls.module}_pass`;
    const notes = [
      need(facts, 'tls.sendsSni') ? `nginx sends the name ${tls.name} (${source}).` : `nginx sends no server name (SNI) in its handshake: ${tls.module}_ssl_server_name is off, nginx's default.`,
      wanted
        ? `The backend works with the name ${wanted}; nginx also checks the certificate against that name when ${tls.module}_ssl_verify is on.`
        : `The backend refuses handshakes without the name it expects, and neither ${tls.name} nor the request's Host worked. Ask its owner which name it serves (or read its certificate on the backend host) and set ${tls.module}_ssl_name to it.`,
    ];
    if (route.pass?.group) notes.push(`With an upstream{} group, nginx's name is the group's name (${route.pass.group}) unless ${tls.module}_ssl_name says otherwise.`);
    return { commands: testAndReload(facts), edits: setInLocation(route, settings), notes };
  },
};

/** nginx does not trust who signed the backend's certificate: point proxy_ssl_trusted_certificate at that CA. */
const tlsTrust: Planner = {
  needs: [...ROUTE, 'tls.issuer', 'tls.reason'],
  plan(facts): FixPlan {
    const { route, tls } = context(facts);
    const issuer = need(facts, 'tls.issuer');
    const reason = need(facts, 'tls.reason');
    const file = tls.trusted ?? `${dirname(need(facts, 'nginx.confPath'))}/upstream-ca.pem`;
    const settings: Setting[] = [];
    if (!tls.trusted) settings.push({ directive: `${tls.module}_ssl_trusted_certificate`, args: [file], why: 'trust the CA that signed the backend certificate, and only it' });
    if (!tls.verify) settings.push({ directive: `${tls.module}_ssl_verify`, args: ['on'], why: 'check the backend certificate against that CA' });
    if (/chain too long/.test(reason))
      settings.push({ directive: `${tls.module}_ssl_verify_depth`, args: [String(tls.verifyDepth + 1)], why: 'the chain has one more intermediate CA than nginx checks' });
    const notes = [
      tls.trusted
        ? `${tls.trusted} does not hold the CA that signed the backend's certificate (issuer: ${issuer}). Put that CA's certificate in it (add it, PEM format, next to what is there if other backends need those).`
        : `Put the certificate of the CA that signed the backend's certificate (issuer: ${issuer}) in ${file}, PEM format.`,
      /self-signed certificate$/.test(reason)
        ? "The backend's certificate is self-signed: the certificate itself is what to trust. Copy it from the backend host's files."
        : 'Get it from whoever runs the backend (or your internal CA), not from the connection itself: what the connection sends is exactly what an impostor could send. openssl s_client -showcerts shows what the backend sends, to compare fingerprints.',
      ...(/unable to verify the first certificate|unable to get local issuer/.test(reason)
        ? [
            'If the backend has a certificate from an intermediate CA, it should send that intermediate too (its certificate file should hold the full chain); otherwise nginx needs the intermediate in the trusted file as well.',
          ]
        : []),
      NEVER_VERIFY_OFF,
    ];
    return { commands: testAndReload(facts), edits: setInLocation(route, settings), notes };
  },
};

const ORDER = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** The backend and nginx share no TLS version: offer the one the backend speaks. */
const tlsProtocols: Planner = {
  needs: [...ROUTE, 'tls.protocol', 'tls.nginxProtocols'],
  plan(facts): FixPlan {
    const { route, tls } = context(facts);
    const backend = need(facts, 'tls.protocol');
    const offered = need(facts, 'tls.nginxProtocols');
    const wanted = ORDER.filter((v) => v === backend || (offered.includes(v) && ORDER.indexOf(v) >= ORDER.indexOf('TLSv1.2')));
    const settings: Setting[] = [{ directive: `${tls.module}_ssl_protocols`, args: wanted, why: `the backend speaks ${backend} only` }];
    return {
      commands: testAndReload(facts),
      edits: setInLocation(route, settings),
      notes: [
        `nginx offers ${offered.join(' ')}${tls.protocolsDirective ? ` (${tls.module}_ssl_protocols, ${tls.protocolsDirective.file}:${tls.protocolsDirective.line})` : ` (the default of nginx ${need(facts, 'nginx.version')}; TLSv1.3 is in the default only from nginx 1.23.4)`}; the backend agrees to ${backend} only.`,
        ...(ORDER.indexOf(backend) < ORDER.indexOf('TLSv1.2') ? [`${backend} is obsolete; upgrading the backend is the better fix.`] : []),
      ],
    };
  },
};

const PLAIN: Record<string, string> = { https: 'http', grpcs: 'grpc', suwsgi: 'uwsgi' };

/** nginx starts a TLS handshake with a backend that speaks plain HTTP: dial it with http://. */
const tlsToPlain: Planner = {
  needs: ROUTE,
  plan(facts): FixPlan {
    const { route } = context(facts);
    const pass = route.pass;
    if (!pass) throw new Error('the request no longer routes to an upstream');
    const [arg = '', ...rest] = pass.directive.args;
    const scheme = /^([a-z]+):\/\//i.exec(arg)?.[1]?.toLowerCase() ?? '';
    const plain = PLAIN[scheme];
    const edits = plain
      ? [
          {
            file: pass.directive.file,
            line: pass.directive.line,
            before: directiveText(pass.directive.directive, pass.directive.args),
            after: directiveText(pass.directive.directive, [`${plain}://${arg.slice(scheme.length + 3)}`, ...rest]),
            why: 'the backend speaks plain HTTP, without TLS',
          },
        ]
      : [];
    return {
      commands: testAndReload(facts),
      edits,
      notes: [
        `The backend answers plain HTTP where nginx starts a TLS handshake (${scheme}://): OpenSSL reads the backend's HTTP error page as a broken TLS record ("wrong version number").`,
        'If the traffic between nginx and the backend must be encrypted, turn TLS on in the backend instead and keep https://.',
        ...(route.pass?.group ? [`Every server of upstream ${route.pass.group} is dialled the same way: check that none of them expects TLS.`] : []),
      ],
    };
  },
};

export const TLS_PLANNERS: Record<string, Planner> = {
  'tls-server-name': tlsServerName,
  'tls-name': tlsName,
  'tls-trust': tlsTrust,
  'tls-protocols': tlsProtocols,
  'tls-to-plain-http': tlsToPlain,
};
