import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalHost } from '../../src/hosts/local.js';
import { parsePathKinds, pathKindsCommand, pathsAsked } from '../../src/system/path-kinds.js';
import { labScope } from './lab/scope.js';

const { later } = labScope();

describe('pathKindsCommand: what try_files and index would find, on a real sh', () => {
  it("tells directories, files and absent paths apart, and tests as nginx's worker user when run as root", async () => {
    expect(process.getuid?.(), 'the integration suite runs as root (it starts nginx and sshd)').toBe(0);
    const root = mkdtempSync(join(tmpdir(), 'bgw-kinds-'));
    later(() => rmSync(root, { recursive: true, force: true }));
    chmodSync(root, 0o755);
    const hidden = join(root, 'private');
    mkdirSync(hidden, { mode: 0o700 });
    writeFileSync(join(hidden, 'index.php'), '<?php');
    writeFileSync(join(root, "it's $(id).txt"), 'x');
    const host = new LocalHost();
    later(() => host.close());
    const paths = [root, join(hidden, 'index.php'), join(root, 'absent'), join(root, "it's $(id).txt")];
    const ask = async (user: string) => {
      const command = pathKindsCommand(paths, user);
      expect(pathsAsked(command.argv)).toEqual(paths);
      return parsePathKinds(paths, (await host.run(command)).stdout);
    };
    expect(await ask('')).toEqual({ [root]: 'dir', [paths[1]!]: 'file', [paths[2]!]: 'none', [paths[3]!]: 'file' });
    // nobody cannot enter the 0700 folder, so for nginx's workers running as nobody the file is not there.
    expect(await ask('nobody')).toEqual({ [root]: 'dir', [paths[1]!]: 'none', [paths[2]!]: 'none', [paths[3]!]: 'file' });
    // A user the box does not have: tested as whoever runs the command.
    expect((await ask('no-such-user-bgw'))[paths[1]!]).toBe('file');
  });
});
