/** The command line of DESIGN.md, parsed into what to do. Pure: no I/O, no process.exit. */
import { BadCommandLine } from './errors.js';
import { parseTarget } from './hosts/ssh/target.js';
import { roleNameProblem } from './roles.js';
import { parseDuration } from './history/duration.js';

export type Mode =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'lint'; paths: string[] }
  | {
      kind: 'diagnose';
      json: boolean;
      url: string | null;
      flow: string | null;
      hosts: HostArg[];
      acceptNewHostKey: boolean;
      record: string | null;
      replay: string | null;
      report: string | null;
      apply: boolean;
      /** --since: how far back history is read, in ms; null: as far as the logs reach (bounded). */
      sinceMs: number | null;
    }
  /** `badgateway undo`: revert the last fix badgateway applied on the proxy host (this machine or --ssh). */
  | { kind: 'undo'; json: boolean; hosts: HostArg[]; acceptNewHostKey: boolean }
  /** `badgateway route`: where nginx sends this request and why, without sending it. */
  | { kind: 'route'; json: boolean; url: string; hostHeader: string | null; headers: Record<string, string>; hosts: HostArg[]; acceptNewHostKey: boolean }
  /** `practice`: recorded incidents; with `live`, a broken box in namespaces of its own and `incident` names its scenario. */
  | { kind: 'practice'; list: boolean; json: boolean; incident: string | null; live: boolean };

/** A host of the session: `proxy` is where nginx runs (--ssh); other roles are backends' boxes (--host ROLE=TARGET). */
export interface HostArg {
  role: string;
  target: string;
}

export type DiagnoseMode = Extract<Mode, { kind: 'diagnose' }>;

/** The command line is wrong: exit 2, the message and then the usage. */
export class UsageError extends BadCommandLine {}

export const USAGE = `badgateway: from "502 Bad Gateway" to the cause and the fix

Usage:
  badgateway                      walk the diagnosis on this machine, step by step
  badgateway --url URL            the request that fails (else found from nginx's error logs)
  badgateway --ssh [user@]host[:port]          the same on a remote box (~/.ssh/config, agent, keys)
  badgateway --host proxy=root@web1 --host app=root@app1
                                  several boxes by role: proxy runs nginx, the others run backends
  --accept-new-host-key           with --json: trust a host key seen for the first time (and save it)
  badgateway --json [--url URL]   no UI: walk the flow and print the report as JSON
  badgateway --json --apply --yes [--url URL]  the same, then apply the fix without asking, verify it,
                                  and roll it back if it does not help (the wizard asks instead)
  badgateway undo [--ssh TARGET] [--json]      revert the last fix badgateway applied on that box
  badgateway route --url URL [--header 'Name: value']... [--ssh TARGET] [--json]
                                  where nginx sends this request and why, without sending it
  --record FILE                   save the session (commands, outputs, timings, per host; secrets redacted)
  --replay FILE                   walk a recorded session again, with no box at all (wizard or --json)
  --report FILE.md                write a Markdown report of the session, to paste into a ticket
  --since DURATION                read history this far back (30m, 2h, 1d; default: as far as the logs reach)
  badgateway practice [INCIDENT]  training: walk recorded real incidents, predicting each step
  badgateway practice --list [--json]          the incidents there are
  badgateway practice --live [SCENARIO]        training on a live broken box in namespaces of its own (root):
                                  a ticket, a shell in the box, and a score once you say it is fixed
  badgateway practice --live --list [--json]   the live scenarios, by symptom, easiest first
  badgateway lint [flows/...]     check flow files
  badgateway --help | --version

Exit codes: 0 healthy or fixed, 1 diagnosed (not fixed), 2 bad usage or input, 3 could not run.
`;

const SUBCOMMANDS = ['lint', 'practice', 'undo', 'route'];

export function parseArgs(argv: readonly string[]): Mode {
  const args = [...argv];
  const first = args[0];
  if (first === 'lint') return { kind: 'lint', paths: args.slice(1).filter((a) => !a.startsWith('-')) };
  if (first === 'practice') return parsePractice(args.slice(1));
  if (first === 'undo') return parseUndo(args.slice(1));
  if (first === 'route') return parseRoute(args.slice(1));
  let json = false;
  let url: string | null = null;
  let flow: string | null = null;
  let acceptNewHostKey = false;
  let record: string | null = null;
  let replay: string | null = null;
  let report: string | null = null;
  let sinceMs: number | null = null;
  let apply = false;
  let yes = false;
  const hosts: HostArg[] = [];
  const addHost = (role: string, target: string) => {
    const problem = roleNameProblem(role);
    if (problem) throw new UsageError(`--host needs ROLE=[user@]host[:port], with a role such as proxy or app (got ${role}=${target}: ${problem})`);
    if (!target) throw new UsageError(`--host ${role}= needs a target such as root@web1`);
    // A target that is not [user@]host[:port] is a wrong command line (exit 2), found before connecting.
    try {
      parseTarget(target);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (hosts.some((h) => h.role === role)) throw new UsageError(`the role ${role} is given twice`);
    hosts.push({ role, target });
  };
  while (args.length) {
    const arg = args.shift() as string;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      // The next flag is not a value: `--ssh --json` lacks the host.
      const v = inline ?? (args[0]?.startsWith('--') ? undefined : args.shift());
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (name === '-h' || name === '--help') return { kind: 'help' };
    if (name === '-V' || name === '--version') return { kind: 'version' };
    if (name === '--json') json = true;
    else if (name === '--url') url = value();
    else if (name === '--flow') flow = value();
    else if (name === '--ssh') addHost('proxy', value());
    else if (name === '--host') {
      const spec = value();
      const eq = spec.indexOf('=');
      if (eq <= 0) throw new UsageError(`--host needs ROLE=[user@]host[:port], such as proxy=root@web1 (got ${spec})`);
      addHost(spec.slice(0, eq), spec.slice(eq + 1));
    } else if (name === '--accept-new-host-key') acceptNewHostKey = true;
    else if (name === '--record') record = value();
    else if (name === '--replay') replay = value();
    else if (name === '--report') report = value();
    else if (name === '--since') {
      const text = value();
      sinceMs = parseDuration(text);
      if (sinceMs === null) throw new UsageError(`--since needs a duration such as 30m, 2h or 1d (got ${text})`);
    } else if (name === '--apply') apply = true;
    else if (name === '--yes') yes = true;
    else throw new UsageError(`unknown argument ${arg} (see badgateway --help)`);
  }
  if (replay && hosts.length) throw new UsageError('--replay runs a recording with no box at all: it takes no --ssh or --host');
  if (replay && url) throw new UsageError('--replay replays the request that was recorded: it takes no --url');
  if (replay && sinceMs !== null) throw new UsageError('--replay reads the window that was recorded: it takes no --since');
  if (replay && record) throw new UsageError('--replay and --record together would only copy the recording');
  if (apply && !json) throw new UsageError('--apply --yes goes with --json; the wizard shows the fix and asks before applying it');
  if (apply && !yes) throw new UsageError('--apply changes the box without asking: add --yes to say so (badgateway --json --apply --yes)');
  if (yes && !apply) throw new UsageError('--yes answers --apply: use both, with --json');
  if (apply && replay) throw new UsageError('--apply needs a real box; --replay has none');
  return { kind: 'diagnose', json, url, flow, hosts, acceptNewHostKey, record, replay, report, apply, sinceMs };
}

/** `badgateway undo [--ssh TARGET | --host proxy=TARGET] [--accept-new-host-key] [--json]`. */
function parseUndo(args: string[]): Mode {
  if (SUBCOMMANDS.includes(args[0] ?? '')) throw new UsageError(`undo takes only --ssh/--host, --accept-new-host-key and --json (got ${args[0]})`);
  const parsed = parseArgs(args);
  if (parsed.kind !== 'diagnose') return parsed;
  const extra = parsed.url ? '--url' : parsed.flow ? '--flow' : parsed.record ? '--record' : parsed.replay ? '--replay' : parsed.report ? '--report' : parsed.apply ? '--apply' : null;
  if (extra) throw new UsageError(`undo takes only --ssh/--host, --accept-new-host-key and --json (got ${extra})`);
  if (parsed.sinceMs !== null) throw new UsageError('undo takes only --ssh/--host, --accept-new-host-key and --json (got --since)');
  return { kind: 'undo', json: parsed.json, hosts: parsed.hosts, acceptNewHostKey: parsed.acceptNewHostKey };
}

/** `badgateway route --url URL [--header 'Name: value']... [--ssh T | --host proxy=T] [--accept-new-host-key] [--json]`. */
function parseRoute(args: string[]): Mode {
  const { rest, headers } = takeHeaders(args);
  const foreign = SUBCOMMANDS.includes(rest[0] ?? '') ? rest[0] : rest.find((a) => a.startsWith('--') && !ROUTE_FLAGS.includes(a.split('=')[0] as string));
  if (foreign) throw new UsageError(`route takes --url, --header, --ssh/--host, --accept-new-host-key and --json (got ${foreign})`);
  const parsed = parseArgs(rest);
  if (parsed.kind !== 'diagnose') return parsed;
  if (!parsed.url) throw new UsageError('route needs the request: --url URL, such as --url http://127.0.0.1:8080/path');
  const { host = null, ...others } = headers;
  return { kind: 'route', json: parsed.json, url: parsed.url, hostHeader: host, headers: others, hosts: parsed.hosts, acceptNewHostKey: parsed.acceptNewHostKey };
}

const ROUTE_FLAGS = ['--url', '--ssh', '--host', '--accept-new-host-key', '--json', '--help', '--version'];
/** RFC 9110's token: what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Takes every `--header 'Name: value'` out of the arguments: names lower-cased, repeats joined as nginx joins them. */
function takeHeaders(args: string[]): { rest: string[]; headers: Record<string, string> } {
  const rest: string[] = [];
  const headers = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg !== '--header' && !arg.startsWith('--header=')) {
      rest.push(arg);
      continue;
    }
    const spec = arg === '--header' ? args[++i] : arg.slice('--header='.length);
    if (spec === undefined || spec === '' || spec.startsWith('--')) throw new UsageError("--header needs a value such as 'X-Forwarded-Proto: https'");
    const colon = spec.indexOf(':');
    const name = spec.slice(0, Math.max(colon, 0)).toLowerCase();
    if (colon <= 0 || !HEADER_NAME.test(name)) throw new UsageError(`--header needs 'Name: value', such as 'Host: shop.example' (got ${spec})`);
    const value = spec.slice(colon + 1).trim();
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(value)) throw new UsageError(`--header ${name}: a header value cannot hold control characters or line breaks`);
    const before = headers.get(name);
    if (name === 'host' && before !== undefined) throw new UsageError('the Host header is given twice (nginx answers such a request with 400)');
    if (name === 'host' && !value) throw new UsageError('the Host header is empty (nginx answers such a request with 400)');
    headers.set(name, before === undefined ? value : `${before}${name === 'cookie' ? '; ' : ', '}${value}`);
  }
  return { rest, headers: Object.fromEntries(headers) };
}

/** `badgateway practice [--live] [--list] [--json] [INCIDENT | SCENARIO]`. */
function parsePractice(args: string[]): Mode {
  let list = false;
  let json = false;
  let live = false;
  let incident: string | null = null;
  for (const arg of args) {
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '--list') list = true;
    else if (arg === '--json') json = true;
    else if (arg === '--live') live = true;
    else if (arg.startsWith('-')) throw new UsageError(`unknown argument ${arg} for practice (see badgateway --help)`);
    else if (incident) throw new UsageError(`practice takes one ${live ? 'scenario' : 'incident'} (got ${incident} and ${arg})`);
    else incident = arg;
  }
  if (json && !list) throw new UsageError('practice --json goes with --list: the practice itself needs a terminal');
  return { kind: 'practice', list, json, incident, live };
}
