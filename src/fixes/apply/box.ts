/**
 * File and process operations on the box that is being changed, all through its Host: argv arrays only,
 * contents on stdin, never a value spliced into a shell string. Works the same locally and over SSH.
 */
import { createHash } from 'node:crypto';
import type { CommandResult, CommandSpec, Host } from '../../hosts/host.js';
import { commandLine } from '../../shell/quote.js';

export class BoxError extends Error {
  constructor(
    message: string,
    readonly result?: CommandResult,
  ) {
    super(message);
  }
}

/** What the box said when a command failed: its stderr, or why it did not run. */
export function said(result: CommandResult): string {
  const text = result.stderr.trim().split('\n').slice(-3).join(' ').trim();
  if (result.failure) return `${result.failure}${text ? `: ${text}` : ''}`;
  return text || `exit ${result.code}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const SWAP_SCRIPT = 'while [ "$#" -gt 1 ]; do mv -f -T -- "$1" "$2" || exit 1; shift 2; done';

export class Box {
  /** Every command run through this box, in order, for the report. */
  readonly ran: CommandResult[] = [];

  constructor(readonly host: Host) {}

  get label(): string {
    return this.host.label;
  }

  async run(spec: CommandSpec, signal?: AbortSignal): Promise<CommandResult> {
    const result = await this.host.run({ timeoutMs: 15_000, ...spec }, signal);
    this.ran.push(result);
    return result;
  }

  /** Runs a command that must succeed. */
  async must(spec: CommandSpec, what: string): Promise<CommandResult> {
    const result = await this.run(spec);
    if (result.code !== 0) throw new BoxError(`${what} failed (${commandLine(spec.argv, 'person')}): ${said(result)}`, result);
    return result;
  }

  async read(path: string): Promise<string> {
    const text = (await this.must({ argv: ['cat', '--', path] }, `reading ${path}`)).stdout;
    if (text.includes('\uFFFD')) throw new BoxError(`${path} is not UTF-8 text; badgateway does not rewrite it (make the change by hand)`);
    return text;
  }

  /** The file a path really is (symlinks followed): the one to change. */
  async realPath(path: string): Promise<string> {
    return (await this.must({ argv: ['readlink', '-e', '--', path] }, `resolving ${path}`)).stdout.replace(/\n$/, '');
  }

  async sha256(path: string): Promise<string> {
    const out = (await this.must({ argv: ['sha256sum', '--', path] }, `checksumming ${path}`)).stdout;
    // sha256sum escapes a name with a backslash or newline and marks that line with a leading "\".
    const hash = /^\\?([0-9a-f]{64})/.exec(out)?.[1];
    if (!hash) throw new BoxError(`sha256sum printed no checksum for ${path}`);
    return hash;
  }

  /** The device a directory lives on: a rename is atomic only within one. */
  async device(dir: string): Promise<string> {
    return (await this.must({ argv: ['stat', '-c', '%d', '--', dir] }, `looking at ${dir}`)).stdout.trim();
  }

  async mkdirs(dir: string, privateMode = false): Promise<void> {
    await this.must({ argv: ['mkdir', '-p', '--', dir] }, `creating ${dir}`);
    if (privateMode) await this.must({ argv: ['chmod', '700', '--', dir] }, `making ${dir} private`);
  }

  /** A copy with the original's mode, owner, timestamps and security context. */
  async copy(from: string, to: string): Promise<void> {
    await this.must({ argv: ['cp', '--preserve=all', '--', from, to] }, `copying ${from} to ${to}`);
  }

  /** Replaces the contents of an existing file (its inode, mode and owner stay): the content goes on stdin. */
  async overwrite(path: string, content: string): Promise<void> {
    await this.must({ argv: ['tee', '--', path], stdin: content }, `writing ${path}`);
    const written = await this.sha256(path);
    if (written !== sha256(content)) throw new BoxError(`${path} does not hold what was written (the write was cut short)`);
  }

  /** Renames each [from, to] pair in one command, so the pairs go in together even if badgateway dies meanwhile. */
  async swap(pairs: readonly (readonly [string, string])[]): Promise<void> {
    if (!pairs.length) return;
    const [first] = pairs;
    const argv = pairs.length === 1 && first ? ['mv', '-f', '-T', '--', first[0], first[1]] : ['sh', '-c', SWAP_SCRIPT, 'sh', ...pairs.flat()];
    await this.must({ argv }, 'putting the new files in place');
  }

  async remove(path: string): Promise<void> {
    await this.run({ argv: ['rm', '-f', '--', path] });
  }

  async append(path: string, line: string): Promise<void> {
    await this.must({ argv: ['tee', '-a', '--', path], stdin: `${line}\n` }, `writing to ${path}`);
  }

  async exists(path: string): Promise<boolean> {
    return (await this.run({ argv: ['test', '-e', path] })).code === 0;
  }
}
