import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

/** A local login user for SSH tests: created once (idempotent), password set every time. */
export function ensureUser(name: string, password: string): void {
  let exists = true;
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
  } catch {
    exists = false;
  }
  if (!exists) execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', name], { stdio: 'pipe' });
  // A set password also unlocks the account: sshd without PAM refuses locked accounts even for keys.
  execFileSync('chpasswd', [], { input: `${name}:${password}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * A sudoers drop-in for this test only (validated with visudo -c first); returns its remover.
 * Files in /etc/sudoers.d with a dot in the name are ignored by sudo, so the name must have none.
 */
export function sudoersDropIn(name: string, rule: string): () => void {
  if (!/^[a-z0-9_-]+$/.test(name)) throw new Error(`sudoers drop-in name ${name} would be ignored by sudo`);
  const file = `/etc/sudoers.d/${name}`;
  const staging = `/tmp/${name}.sudoers`;
  writeFileSync(staging, `${rule}\n`, { mode: 0o440 });
  try {
    execFileSync('visudo', ['-c', '-q', '-f', staging], { stdio: 'pipe' });
  } finally {
    rmSync(staging, { force: true });
  }
  writeFileSync(file, `${rule}\n`, { mode: 0o440 });
  return () => {
    if (existsSync(file)) rmSync(file);
  };
}
