import type { CommandResult, CommandSpec, Host } from '../../../src/hosts/host.js';
import { LocalHost } from '../../../src/hosts/local.js';
import type { Netns } from './netns.js';

/** This machine seen from inside a network namespace: every command runs under `ip netns exec`. */
export class NetnsHost implements Host {
  readonly label = 'local';
  private readonly local = new LocalHost();

  constructor(private readonly ns: Netns) {}

  async run(command: CommandSpec, signal?: AbortSignal): Promise<CommandResult> {
    const result = await this.local.run({ ...command, argv: this.ns.exec(command.argv) }, signal);
    // Checks read results by the argv they asked for.
    return { ...result, argv: command.argv };
  }

  close(): Promise<void> {
    return this.local.close();
  }
}
