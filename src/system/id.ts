/**
 * `id USER`:
 *   uid=33(www-data) gid=33(www-data) groups=33(www-data)
 *   uid=101(postgres) gid=104(postgres) groups=104(postgres),103(ssl-cert)
 *   uid=33(www-data) gid=33(www-data) groups=33(www-data),4242      (a gid without a name)
 * An unknown user: exit 1, stderr "id: 'nosuch': no such user" (LC_ALL=C) or with ‘curly’ quotes
 * in a UTF-8 locale.
 */

export interface IdInfo {
  uid: number;
  gid: number;
  name: string;
  /** Every group id, primary first when id lists it first (it does). */
  gids: number[];
  /** The names of `gids`, in the same order; a gid without a name is given as its number. */
  groups: string[];
}

const ID_NAME = /^(\d+)(?:\((.*)\))?$/;

export function parseId(stdout: string): IdInfo | null {
  const line = stdout.split('\n').find((l) => l.startsWith('uid='));
  if (line === undefined) return null;
  const uid = /(?:^|\s)uid=(\d+)(?:\(([^)]*)\))?/.exec(line);
  const gid = /\sgid=(\d+)(?:\(([^)]*)\))?/.exec(line);
  if (!uid || !gid) return null;
  const gids: number[] = [];
  const groups: string[] = [];
  // Group names may hold spaces ("domain users" from sssd); `id` without USER on SELinux adds context=.
  const list = /\sgroups=(.*?)(?:\s+context=\S*)?\s*$/.exec(line)?.[1];
  if (list !== undefined) {
    for (const item of list.split(/,(?=\d+(?:\(|,|$))/)) {
      const m = ID_NAME.exec(item);
      if (!m) continue;
      gids.push(Number(m[1]));
      groups.push(m[2] ?? m[1]!);
    }
  }
  if (!gids.includes(Number(gid[1]))) {
    gids.unshift(Number(gid[1]));
    groups.unshift(gid[2] ?? gid[1]!);
  }
  return { uid: Number(uid[1]), gid: Number(gid[1]), name: uid[2] ?? uid[1]!, gids, groups };
}

/** The user `id` did not know, from "id: 'nosuch': no such user" (any quote style); else null. */
export function idUnknownUser(stderr: string): string | null {
  const m = /^id: ['‘"`]?(.*?)['’"`]?: no such user\s*$/m.exec(stderr);
  return m ? m[1]! : null;
}
