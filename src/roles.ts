/**
 * What a host's role may be called, on the command line (--host ROLE=TARGET) and in a recording: a word
 * (letter first, then letters, digits, - and _), never a name every JavaScript object already has
 * (constructor, toString, __proto__...), which a lookup by role would find where no host is. Pure.
 */
export const PROXY_ROLE = 'proxy';

const ROLE_NAME = /^[a-z][a-z0-9_-]*$/i;
const OBJECT_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Why `role` cannot name a host, or null when it can. */
export function roleNameProblem(role: string): string | null {
  if (!ROLE_NAME.test(role)) return 'a role is a word: a letter, then letters, digits, - or _';
  if (OBJECT_NAMES.has(role)) return `${role} is a reserved name`;
  return null;
}
