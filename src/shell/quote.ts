import { hasControl } from './sanitize.js';

/**
 * The one function that turns a value into a shell word. Every value that reaches a shell,
 * locally or over SSH, goes through here: paths and names read from a box may be hostile.
 *
 * For a person (`'person'`) the word must also be safe to show and exactly what runs when pasted: a value
 * holding a control or invisible character (an escape, a newline, a bidi override) is written as bash's
 * $'...' with each such character as a visible escape (\x1b, \n, \u202e), which bash and zsh read back as
 * the same bytes. For a shell (`'sh'`, the default) the plain single-quoted form is used: POSIX sh has no $'...'.
 */
export function quote(value: string, reader: 'sh' | 'person' = 'sh'): string {
  if (value === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  if (reader === 'person' && hasControl(value)) return `$'${[...value].map(ansiC).join('')}'`;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** One character inside $'...': backslash and quote escaped, a control or invisible one as its code. */
function ansiC(char: string): string {
  if (char === '\\' || char === "'") return `\\${char}`;
  if (!hasControl(char)) return char;
  const code = char.codePointAt(0) as number;
  const hex = code.toString(16);
  if (code < 0x80) return `\\x${hex.padStart(2, '0')}`;
  return code > 0xffff ? `\\U${hex.padStart(8, '0')}` : `\\u${hex.padStart(4, '0')}`;
}

/** A command line, each argument quoted: for a shell to run, or (`'person'`) for a person to read and paste. */
export function commandLine(argv: readonly string[], reader: 'sh' | 'person' = 'sh'): string {
  return argv.map((value) => quote(value, reader)).join(' ');
}

declare const SHOWN: unique symbol;
/** A command line as a person sees it, built only by shownCommand(): what is shown is what ran. */
export type ShownCommand = string & { readonly [SHOWN]: true };

/** The commands that ran, one after another, as one line a person may paste (`a; b`). */
export function shownCommand(...argvs: readonly (readonly string[])[]): ShownCommand {
  return argvs.map((argv) => commandLine(argv, 'person')).join('; ') as ShownCommand;
}
