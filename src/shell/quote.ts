/**
 * The one function that turns a value into a shell word. Every value that reaches a shell,
 * locally or over SSH, goes through here: paths and names read from a box may be hostile.
 */
export function quote(value: string): string {
  if (value === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A command line a person can paste, each argument quoted. */
export function commandLine(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}
