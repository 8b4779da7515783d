/** A Host whose commands run on a remote box over one SSH connection (see connectSsh in index.ts). */
import { randomBytes } from 'node:crypto';
import type { CommandResult, CommandSpec, Host } from '../host.js';
import { DEFAULT_TIMEOUT_MS } from '../host.js';
import { killedIfAble, shellOpeningWith } from './batch-script.js';
import { ChannelLimit } from './channel-limit.js';
import type { ResolvedHost } from './config.js';
import { connectChain, type ConnectDeps, type Hop } from './connect.js';
import { SshError } from './errors.js';
import { runChannel, type ChannelRun } from './exec.js';
import { RemoteShell } from './remote-shell.js';
import { SHELL_UNAVAILABLE, ShellPool } from './shell-pool.js';
import { describePrivilege, fromPasswordCheck, fromSudoProbe, isRoot, makeMarkers, remoteCommand, type PasswordVerdict, type Privilege } from './sudo.js';
import type { VerifiedHostKey } from './verify-host-key.js';

/** What the report shows about an SSH host. */
export interface SshHostSummary {
  label: string;
  /** What was dialled: HostName and port. */
  address: string;
  user: string;
  /** Jump hosts, first dialled first. */
  via: string[];
  hostKeys: VerifiedHostKey[];
  privilege: Privilege;
  /** One line: how commands run (as root, through sudo, unprivileged and why). */
  runsAs: string;
  notes: string[];
}

const PROBE_TIMEOUT_MS = 10_000;
/** About 1.5 s of asking again when sshd refuses a new session. */
const SESSION_RETRIES = 10;
/** Who the login is and whether the box has timeout(1): asked first on every connection. */
const PROBES = [{ argv: ['id', '-u'] }, { argv: ['sh', '-c', 'command -v timeout'] }];
const SUDO_PROBE = ['sudo', '-n', 'true'];
/** Long-lived remote shells per connection (the steps' and two for the look-ahead), each holding one channel slot. */
const MAX_SHELLS = 3;

/** How long an answer given at login stands for the box's present state. */
const LOGIN_ANSWER_MAX_AGE_MS = 15_000;
/** A command asked at login that takes longer is cut off there and asked again by its step, at its own limit. */
const LOGIN_COMMAND_S = 5;

const timeoutOf = (command: Pick<CommandSpec, 'timeoutMs'>) => command.timeoutMs ?? DEFAULT_TIMEOUT_MS;
/** The box's own kill comes a second after ours, so a finished command is never cut short there. */
const killAfterS = (command: Pick<CommandSpec, 'timeoutMs'>) => Math.ceil(timeoutOf(command) / 1000) + 1;
const loginKey = (command: Pick<CommandSpec, 'argv' | 'stdin'>) => JSON.stringify([command.argv, command.stdin ?? null]);

/** What a command's run on the box means as a CommandResult. */
function commandResult(command: CommandSpec, run: ChannelRun, ms: number): CommandResult {
  const base = { argv: command.argv, stdout: run.stdout, stderr: run.stderr, ms };
  if (run.failure) return { ...base, code: null, failure: run.failure };
  // A missing program: the remote shell (or sh -c under sudo) says so with 127, as ENOENT does locally.
  const program = command.argv[0] as string;
  if (run.code === 127 && run.stderr.includes(program) && /not found|No such file or directory/.test(run.stderr)) return { ...base, code: null, failure: 'not-found' };
  return { ...base, code: run.code };
}

export class SshHost implements Host {
  readonly label: string;
  private hops: Hop[];
  private alive = true;
  private closed = false;
  /** Set when the connection was lost and could not be restored: every later command fails with it. */
  private lost: SshError | undefined;
  private reconnecting: Promise<SshError | null> | undefined;
  private readonly limit: ChannelLimit;
  private readonly markers = makeMarkers(randomBytes(6).toString('hex'));
  private sudoPassword: string | undefined;
  privilege: Privilege = { mode: 'unprivileged', reason: 'uid-unknown', detail: 'not checked yet' };
  /** Whether the box has timeout(1), which enforces each command's limit there too. */
  private remoteTimeout = false;
  /** Batches commands on long-lived remote shells; absent when the box has no timeout(1). */
  private pool: ShellPool | undefined;
  /** Answers of the commands asked at login, by command (see loginAnswer). */
  private readonly loginAnswers = new Map<string, { result: CommandResult; at: number }>();
  /** What happened to the connection during the session (a drop and the reconnect), for the report. */
  readonly events: string[] = [];

  /** Use connectSsh(): it connects and checks privileges before handing the host out. */
  constructor(
    readonly resolved: ResolvedHost,
    hops: Hop[],
    private readonly deps: ConnectDeps,
    private readonly options: { maxChannels: number; batching: boolean; lookAheadAtLogin: boolean; atLogin: CommandSpec[] },
    readonly notes: string[],
  ) {
    this.label = resolved.label;
    this.hops = hops;
    this.limit = new ChannelLimit(options.maxChannels);
    this.watch(hops);
  }

  private watch(hops: Hop[]): void {
    for (const hop of hops) {
      const down = () => {
        if (this.hops === hops) this.alive = false;
      };
      hop.client.on('close', down);
      hop.client.on('end', down);
    }
  }

  /** Decides how commands run: root, sudo -n, sudo with a password (asked later), or unprivileged. */
  async checkPrivilege(): Promise<Privilege> {
    const plain: Privilege = { mode: 'unprivileged', reason: 'uid-unknown', detail: '' };
    const probing = this.probeOnShell(plain);
    // The look-ahead's shells log in beside the first one (asked just after it): opened once the login
    // answered, the look-ahead of the steps those answers settle would wait a login of its own.
    const beside = this.options.lookAheadAtLogin && this.canBatch() ? Array.from({ length: this.shellCount() - 1 }, () => this.openShell(plain)) : [];
    const { id, timeout, warm, asked = [] } = (await probing) ?? (await this.probeOnChannels(plain));
    this.remoteTimeout = timeout.code === 0 && timeout.stdout.trim() !== '';
    const root = isRoot(id);
    if (root === true) this.privilege = { mode: 'root' };
    else if (root === null) this.privilege = { mode: 'unprivileged', reason: 'uid-unknown', detail: `id -u did not answer (${id.failure ?? id.stderr.trim()})` };
    else this.privilege = fromSudoProbe((warm && (await this.onShell(warm, SUDO_PROBE))) ?? (await this.attempt(SUDO_PROBE, plain, undefined, PROBE_TIMEOUT_MS)));
    const samePrivilege = remoteCommand(['sh'], this.privilege, this.markers) === remoteCommand(['sh'], plain, this.markers);
    const pooled = warm !== undefined && samePrivilege;
    this.startPool(pooled ? warm : undefined, pooled ? beside : []);
    if (warm && !pooled) warm.close();
    if (!pooled) for (const opening of beside) void opening.then((shell) => shell instanceof RemoteShell && shell.close());
    // Answers that ran with another privilege than later commands would say something else: dropped.
    if (samePrivilege) for (const answer of asked) if (answer.code === 0) this.loginAnswers.set(loginKey(answer), { result: answer, at: performance.now() });
    return this.privilege;
  }

  /** A command asked at login (SshOptions.atLogin), answered from the login's batch: once, while fresh. */
  private loginAnswer(command: CommandSpec): CommandResult | undefined {
    const key = loginKey(command);
    const answer = this.loginAnswers.get(key);
    this.loginAnswers.delete(key);
    return answer && performance.now() - answer.at <= LOGIN_ANSWER_MAX_AGE_MS ? answer.result : undefined;
  }

  /**
   * The probes, and the commands asked at login, on the shell later batches use, started together: one
   * login on the box, and no round trip beyond opening the shell. Null when batching is off or the
   * shell could not start.
   */
  private canBatch(): boolean {
    return this.options.batching && this.options.maxChannels >= 3;
  }

  /** Long-lived shells the pool keeps: a few channel slots must stay free for commands that cannot be batched. */
  private shellCount(): number {
    return Math.min(MAX_SHELLS, this.options.maxChannels - 2);
  }

  private async probeOnShell(plain: Privilege): Promise<{ id: ChannelRun; timeout: ChannelRun; warm: RemoteShell; asked: CommandResult[] } | null> {
    if (!this.canBatch()) return null;
    const atLogin = this.options.atLogin.filter((c) => !c.stdin?.includes('\0'));
    const opening = [...PROBES, ...atLogin.map((c) => ({ argv: killedIfAble(c.argv, LOGIN_COMMAND_S), ...(c.stdin !== undefined ? { stdin: c.stdin } : {}) }))];
    const started = performance.now();
    const batchId = `probe-${randomBytes(4).toString('hex')}`;
    const warm = await this.openShell(plain, shellOpeningWith(batchId, opening));
    if (!(warm instanceof RemoteShell)) return null;
    const answer = await warm.opening(batchId, opening.length, PROBE_TIMEOUT_MS);
    const [id, timeout, ...rest] = 'results' in answer ? answer.results : [];
    if (!id || !timeout) {
      warm.close();
      return null;
    }
    const ms = Math.round(performance.now() - started);
    const asked = atLogin.flatMap((c, i) => (rest[i] ? [commandResult(c, rest[i], ms)] : []));
    return { id, timeout, warm, asked };
  }

  private async probeOnChannels(plain: Privilege): Promise<{ id: ChannelRun; timeout: ChannelRun; warm?: undefined; asked?: undefined }> {
    const [id, timeout] = await Promise.all(PROBES.map((p) => this.attempt(p.argv, plain, undefined, PROBE_TIMEOUT_MS)));
    return { id: id as ChannelRun, timeout: timeout as ChannelRun };
  }

  private async onShell(shell: RemoteShell, argv: readonly string[]): Promise<ChannelRun | null> {
    const answer = await shell.run([{ argv }], PROBE_TIMEOUT_MS);
    return 'results' in answer ? (answer.results[0] ?? null) : null;
  }

  /** Commands from now on batch on shells that run with the current privilege (none without timeout(1)). */
  private startPool(warm?: RemoteShell, opening: Promise<RemoteShell | { failure: string }>[] = []): void {
    void this.pool?.close();
    this.pool = undefined;
    const shells = this.shellCount();
    if (!this.remoteTimeout || !this.options.batching || shells < 1) {
      warm?.close();
      for (const shell of opening) void shell.then((opened) => opened instanceof RemoteShell && opened.close());
      return;
    }
    const privilege = this.privilege;
    this.pool = new ShellPool(() => this.openShell(privilege), shells, warm);
    for (const shell of opening) this.pool.adopt(shell);
    this.pool.prepare(this.options.lookAheadAtLogin ? shells : 1);
  }

  /** One long-lived shell with this privilege (started as `argv`), holding a channel slot until it ends. */
  private async openShell(privilege: Privilege, argv: readonly string[] = ['sh']): Promise<RemoteShell | { failure: string }> {
    const problem = await this.ensureConnected();
    if (problem) return { failure: `dropped: ${problem.message}` };
    let release: () => void;
    try {
      release = await this.limit.acquire();
    } catch {
      return { failure: 'aborted' };
    }
    const password = this.sudoPassword;
    const sudo = privilege.mode === 'sudo-password' && password !== undefined ? { password, markers: this.markers } : undefined;
    const client = (this.hops.at(-1) as Hop).client;
    const shell = await RemoteShell.open(client, remoteCommand(argv, privilege, this.markers), { timeoutMs: PROBE_TIMEOUT_MS, ...(sudo ? { sudo } : {}) });
    if (shell instanceof RemoteShell) shell.whenEnded(release);
    else release();
    return shell;
  }

  /** True when sudo asks for a password: pass one to useSudoPassword(), or call continueUnprivileged(). */
  get needsSudoPassword(): boolean {
    return this.privilege.mode === 'needs-password';
  }

  /**
   * Tries the password with sudo (on `true`). Right: every later command runs through sudo -S with it.
   * Wrong: nothing changes (ask again). Refused (not in sudoers): the host runs unprivileged.
   * The password is kept in memory only and goes to sudo on stdin, when sudo prompts for it.
   */
  async useSudoPassword(password: string): Promise<PasswordVerdict> {
    if (this.privilege.mode === 'root' || this.privilege.mode === 'sudo') return { ok: true };
    if (password.includes('\n')) return { ok: false, reason: 'wrong', detail: 'a sudo password cannot contain a line break' };
    const run = await this.attempt(['true'], { mode: 'sudo-password' }, password, PROBE_TIMEOUT_MS);
    const verdict = fromPasswordCheck(run);
    if (verdict.ok) {
      this.sudoPassword = password;
      this.privilege = { mode: 'sudo-password' };
      this.startPool();
    } else if (verdict.reason === 'refused') {
      this.privilege = { mode: 'unprivileged', reason: 'sudo-refused', detail: verdict.detail };
    }
    return verdict;
  }

  /** The person will not give a sudo password: run unprivileged, and say so in the report. */
  continueUnprivileged(): void {
    if (this.privilege.mode === 'needs-password') this.privilege = { mode: 'unprivileged', reason: 'declined', detail: 'no sudo password was given' };
  }

  summary(): SshHostSummary {
    const target = this.resolved;
    return {
      label: this.label,
      address: `${target.hostName}:${target.port}`,
      user: target.user,
      via: target.jumps.map((j) => j.label),
      hostKeys: this.hops.map((h) => h.hostKey),
      privilege: this.privilege,
      runsAs: describePrivilege(this.privilege, target.user),
      notes: [...this.notes],
    };
  }

  promote(command: CommandSpec): void {
    this.pool?.promote(command);
  }

  async run(command: CommandSpec, signal?: AbortSignal): Promise<CommandResult> {
    const started = performance.now();
    if (!command.argv.length) throw new Error('empty command');
    const asked = this.loginAnswer(command);
    if (asked) return asked;
    const result = (run: ChannelRun) => commandResult(command, run, Math.round(performance.now() - started));
    const timeoutMs = timeoutOf(command);
    if (this.pool && !command.stdin?.includes('\0')) {
      const batched = await this.pool.run(
        { argv: command.argv, ...(command.stdin !== undefined ? { stdin: command.stdin } : {}), killAfterS: killAfterS(command) },
        timeoutMs,
        signal,
        command.early === true,
      );
      if (batched.failure !== SHELL_UNAVAILABLE) return result(batched);
    }
    let release: () => void;
    try {
      release = await this.limit.acquire(signal);
    } catch {
      return result({ stdout: '', stderr: '', code: null, failure: 'aborted' });
    }
    try {
      return result(await this.attempt(command.argv, this.privilege, this.sudoPassword, timeoutMs, command.stdin, signal));
    } finally {
      release();
    }
  }

  /** One command, reconnecting once and running it again if the connection was lost under it. */
  private async attempt(argv: readonly string[], privilege: Privilege, password: string | undefined, timeoutMs: number, stdin?: string, signal?: AbortSignal): Promise<ChannelRun> {
    const line = remoteCommand(argv, privilege, this.markers, this.remoteTimeout ? killAfterS({ timeoutMs }) : undefined);
    const sudo = privilege.mode === 'sudo-password' && password !== undefined ? { password, markers: this.markers } : undefined;
    const once = async (): Promise<ChannelRun> => {
      const problem = await this.ensureConnected();
      if (problem) return { stdout: '', stderr: '', code: null, failure: `dropped: ${problem.message}` };
      const client = (this.hops.at(-1) as Hop).client;
      const options = { timeoutMs, ...(stdin !== undefined ? { stdin } : {}), ...(signal ? { signal } : {}), ...(sudo ? { sudo } : {}) };
      let run = await runChannel(client, line, options);
      // sshd frees a finished session's slot a little after it closes: wait and ask again (bounded).
      for (let retry = 1; run.failure === 'session-refused' && retry <= SESSION_RETRIES && !signal?.aborted; retry++) {
        await new Promise((r) => setTimeout(r, Math.min(50 * retry, 200)));
        run = await runChannel(client, line, options);
      }
      if (run.failure === 'session-refused') {
        return { ...run, failure: `cannot open an SSH session on ${this.label}: sshd refused it (its MaxSessions is reached; other sessions of this connection are still open)` };
      }
      if (run.failure === 'dropped' && this.alive) {
        // The channel closed with no exit status while the connection stayed up: not a lost connection.
        return { ...run, failure: 'the command ended with no exit status' };
      }
      return run;
    };
    const first = await once();
    if (first.failure !== 'dropped' || this.closed || signal?.aborted) return first;
    const second = await once();
    if (second.failure === 'dropped') {
      return { ...second, failure: `dropped: the connection to ${this.label} was lost twice during ${argv[0]}; check the network and sshd on that host` };
    }
    return second;
  }

  /** null when connected (reconnecting once if the connection was lost); the reason otherwise. */
  private async ensureConnected(): Promise<SshError | null> {
    if (this.closed) return new SshError('dropped', this.label, `the SSH session with ${this.label} is closed`);
    if (this.lost) return this.lost;
    if (this.alive) return null;
    this.reconnecting ??= (async () => {
      for (const hop of this.hops) hop.client.end();
      try {
        const hops = await connectChain(this.resolved, this.deps);
        this.hops = hops;
        this.alive = true;
        this.watch(hops);
        const event = `the connection to ${this.label} dropped during the session and was re-opened; the commands it cut short ran again`;
        this.events.push(event);
        this.notes.push(event);
        return null;
      } catch (error) {
        const reason = error instanceof SshError ? error.message : String(error);
        this.lost = new SshError('dropped', this.label, `the connection to ${this.label} was lost and reconnecting failed: ${reason}`);
        return this.lost;
      } finally {
        this.reconnecting = undefined;
      }
    })();
    return this.reconnecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sudoPassword = undefined;
    await this.pool?.close();
    for (const hop of [...this.hops].reverse()) hop.client.end();
    // Once the goodbye has left, the connection is let go: waiting for the server's own close (and ssh2's
    // keepalive timer, which runs until then) would hold the process a round trip after its work is done.
    for (const { socket } of this.hops) {
      if (socket?.writableFinished) socket.destroy();
      else socket?.once('finish', () => socket.destroy());
    }
  }
}
