import type { HostArg } from '../args.js';
import { HostSet, type BackendChooser, type SessionHost } from '../hosts/host-set.js';
import type { CommandSpec, Host } from '../hosts/host.js';
import { LocalHost } from '../hosts/local.js';
import { KeptReadHost, type KeptReadStore } from '../hosts/kept-read-host.js';
import { isNginxProbe } from '../system/nginx-probe.js';
// errors.ts alone, not the ssh index: matching an SshError must not load ssh2.
import { SshError } from '../hosts/ssh/errors.js';
import type { SshHost, SshHostSummary } from '../hosts/ssh/index.js';
import type { Asker } from '../store/prompts.js';
import { IP_ADDR } from '../system/ip-addr.js';

export interface ConnectOptions {
  /** The person to ask (the wizard); null with --json, where nothing can be asked. */
  asker: Asker | null;
  acceptNewHostKey: boolean;
  /** Notes for the report when nobody is asked (a host running unprivileged, a key saved). */
  notes?: string[];
  /** Read-only commands the first step asks of nginx's box: they go with its login (see firstCommands). */
  atLogin?: CommandSpec[];
  /** The kept config read of nginx's box, by the host's identity (role and target): none when absent. */
  keptRead?: (identity: string) => KeptReadStore;
}

const SUDO_TRIES = 3;

/** One question at a time: hosts connect in parallel, but the person answers one prompt after another. */
function oneAtATime(asker: Asker): Asker {
  let queue: Promise<unknown> = Promise.resolve();
  const next = <T>(ask: () => Promise<T>): Promise<T> => {
    const asked = queue.then(ask, ask);
    queue = asked.catch(() => undefined);
    return asked;
  };
  return { choose: (q, o) => next(() => asker.choose(q, o)), secret: (q) => next(() => asker.secret(q)), tell: (m) => asker.tell(m) };
}

async function sudoPassword(host: SshHost, asker: Asker | null, note: (message: string) => void): Promise<void> {
  if (!host.needsSudoPassword) return;
  for (let attempt = 1; asker && attempt <= SUDO_TRIES; attempt++) {
    const again = attempt > 1 ? ' (that one was wrong)' : '';
    const password = await asker.secret(`sudo password for ${host.label}${again}; press Enter with nothing to go on without root`);
    if (password === null || password === '') break;
    const verdict = await host.useSudoPassword(password);
    if (verdict.ok) return;
    if (verdict.reason === 'refused') break;
  }
  if (host.needsSudoPassword) host.continueUnprivileged();
  note(`${host.label}: ${host.summary().runsAs}`);
}

async function connectOne(arg: HostArg, options: ConnectOptions, asker: Asker | null, note: (message: string) => void): Promise<SessionHost> {
  const kept = arg.role === 'proxy' && options.keptRead ? KeptReadHost.prepare(options.keptRead(`proxy ssh ${arg.target}`)) : null;
  const atLogin = (options.atLogin ?? []).map((c) => (kept && isNginxProbe(c.argv) ? kept.probe : c));
  // ssh2 is large: it loads only when a session has a remote host.
  const { acceptFirstSeenKey, connectSsh, describeKnownKey } = await import('../hosts/ssh/index.js');
  const host = await connectSsh({
    target: arg.target,
    lookAheadAtLogin: arg.role === 'proxy',
    // Which box a command about the backend runs on is told by every box's addresses (HostSet.backendFor).
    atLogin: [...(arg.role === 'proxy' ? atLogin : []), { argv: IP_ADDR, timeoutMs: 5000 }],
    onUnknownHostKey: async (p) => {
      if (!asker) {
        // Only a host seen for the first time: one known by a key of another type is refused, as a changed key.
        const trusted = options.acceptNewHostKey && (await acceptFirstSeenKey(p));
        if (trusted) note(`trusted the new ${p.keyTypeName} key ${p.fingerprint} of ${p.host}${p.saveTo ? ` and saved it to ${p.saveTo}` : ''}`);
        return trusted;
      }
      const host = `${p.host}${p.via ? ` (through ${p.via})` : ''}`;
      const save = p.saveTo ? ` and save it to ${p.saveTo}` : '';
      const question = p.otherKeys.length
        ? `${host} is already known by a key of another type: ${p.otherKeys.map(describeKnownKey).join(', ')}. It now offers only its ${p.keyTypeName} key, fingerprint ${p.fingerprint}, which is not known. ` +
          `A server re-keyed by its admin does this, and so does someone intercepting the connection. Compare it with the one the box's admin sees (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). Trust the ${p.keyTypeName} key${save}?`
        : `${host} is not known yet. Its ${p.keyTypeName} key fingerprint is ${p.fingerprint}. Compare it with the one the box's admin sees (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). Trust it${save}?`;
      const answer = await asker.choose(question, [
        { label: 'No: stop here', value: 'no' },
        { label: 'Yes: the fingerprint matches, trust this key', value: 'yes' },
      ]);
      return answer === 'yes';
    },
    ...(asker ? { askPassphrase: (keyFile: string, attempt: number) => asker.secret(`Passphrase for ${keyFile}${attempt > 1 ? ' (that one was wrong)' : ''}`) } : {}),
  });
  await sudoPassword(host, asker, note);
  return { role: arg.role, host: kept ? kept.wrap(host) : host };
}

/** Connects every host of the session at once; nginx's box is this machine when no proxy is given. */
export async function connectHosts(args: HostArg[], options: ConnectOptions): Promise<HostSet> {
  const asker = options.asker ? oneAtATime(options.asker) : null;
  const note = (message: string) => {
    options.notes?.push(message);
    asker?.tell(message);
  };
  const here = (): Host => (options.keptRead ? KeptReadHost.prepare(options.keptRead('proxy local')).wrap(new LocalHost()) : new LocalHost());
  const local: SessionHost[] = args.some((a) => a.role === 'proxy') ? [] : [{ role: 'proxy', host: here() }];
  const settled = await Promise.allSettled(args.map((arg) => connectOne(arg, options, asker, note)));
  const connected = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(connected.map((m) => m.host.close()));
    throw failed.reason;
  }
  const choose: BackendChooser | undefined = asker
    ? async (address, others) => {
        const value = await asker.choose(`nginx sends this request to ${address}, which none of the connected boxes owns. Which one is the backend's box?`, [
          ...others.map((m) => ({ label: `${m.role}: ${m.host.label}`, value: m.role })),
          { label: "None of them: go on with the proxy's view only", value: '' },
        ]);
        return others.find((m) => m.role === value) ?? null;
      }
    : undefined;
  return new HostSet([...local, ...connected], choose);
}

/** What the report says about each host. */
export function describeHosts(hosts: HostSet): ({ role: string; label: string } & Partial<SshHostSummary>)[] {
  return hosts.members.map((m) => {
    const summary = 'summary' in m.host && typeof (m.host as SshHost).summary === 'function' ? (m.host as SshHost).summary() : {};
    return { ...summary, role: m.role, label: m.host.label };
  });
}

/** Drops and reconnects of the session's SSH hosts, in the order they happened per host. */
export function connectionEvents(hosts: HostSet): string[] {
  return hosts.members.flatMap((m) => m.host.events ?? []);
}

/** A host that could not be reached or logged into: --json reports it; the other modes let it end the run (exit 3). */
export function isReachFailure(error: unknown): error is SshError {
  return error instanceof SshError;
}
