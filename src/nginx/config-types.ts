/** nginx's configuration as crossplane shapes it: one entry per file, directives with their line. */

export interface Directive {
  directive: string;
  args: string[];
  line: number;
  /** The file this directive is written in (kept on each directive once includes are resolved). */
  file: string;
  block?: Directive[];
}

export interface ConfigFile {
  file: string;
  parsed: Directive[];
  /** Its include directives, blocks included, in the order nginx meets them, when the parse found them (parse-dump.ts, includesOf). */
  includes?: Directive[];
}

export interface ConfigError {
  file: string;
  line: number | null;
  error: string;
}

export interface NginxConfig {
  /** Every file nginx -T dumped, in the order it printed them. */
  files: ConfigFile[];
  /** The main file's directives with every include replaced by what it includes. */
  tree: Directive[];
  errors: ConfigError[];
}
