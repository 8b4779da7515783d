/**
 * `nginx -V` (it writes to stderr):
 *
 *   nginx version: nginx/1.22.1
 *   built with OpenSSL 3.0.22 25 Aug 2026 (running with OpenSSL 3.0.19 27 Jan 2026)
 *   TLS SNI support enabled
 *   configure arguments: --with-cc-opt='-g -O2 ...' --prefix=/usr/share/nginx --conf-path=... --with-http_ssl_module ...
 *
 * The configure arguments are written as they were typed, shell quotes included. Values nginx falls
 * back on when an option is absent are filled in by `nginxPaths()`.
 */

export interface NginxV {
  /** "nginx", "openresty", "freenginx"... the part before the slash; null if no version line. */
  product: string | null;
  /** "1.22.1"; null when the text has no "nginx version:" line (not nginx, or the command failed). */
  version: string | null;
  builtBy?: string;
  builtWith?: string;
  tlsSni?: boolean;
  /** Every configure argument, unquoted, in order. */
  args: string[];
  /** --key=value options by key ("--prefix" -> "/usr/share/nginx"); a bare flag maps to "". Last one wins. */
  configure: Record<string, string>;
  /** Modules and features enabled by --with-*, without the prefix: "http_ssl_module", "threads", "stream". */
  modules: string[];
  /** Those of `modules` built as dynamic modules (--with-X=dynamic). */
  dynamic: string[];
  /** Paths of third-party modules (--add-module, --add-dynamic-module). */
  addModules: string[];
}

/** --with-* options that carry a value or set build flags rather than enable a module. */
const NOT_MODULES = new Set(['cc', 'cpp', 'cc-opt', 'ld-opt', 'cpu-opt', 'pcre-opt', 'zlib-opt', 'zlib-asm', 'openssl-opt', 'perl_modules_path', 'perl', 'libatomic']);

/** Split a shell-style argument string: '...' and "..." group, backslash escapes outside single quotes. */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      word += end < 0 ? text.slice(i + 1) : text.slice(i + 1, end);
      i = end < 0 ? text.length : end;
      inWord = true;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) j++;
        word += text[j];
        j++;
      }
      i = j;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Never null: text that is not `nginx -V` output gives version null and nothing else. */
export function parseNginxV(stderr: string): NginxV {
  const lines = stderr.split('\n').map((l) => l.trimEnd());
  const result: NginxV = { product: null, version: null, args: [], configure: {}, modules: [], dynamic: [], addModules: [] };
  const versionLine = lines.find((l) => l.startsWith('nginx version: '));
  const vm = versionLine === undefined ? null : /^nginx version: ([^/\s]+)\/(\S+)/.exec(versionLine);
  if (!vm) return result;
  result.product = vm[1]!;
  result.version = vm[2]!;

  for (const line of lines) {
    if (line.startsWith('built by ')) result.builtBy = line.slice('built by '.length);
    else if (line.startsWith('built with ')) result.builtWith = line.slice('built with '.length);
    else if (/^TLS SNI support enabled/.test(line)) result.tlsSni = true;
    else if (/^TLS SNI support disabled/.test(line)) result.tlsSni = false;
    else if (line.startsWith('configure arguments:')) result.args = splitShellWords(line.slice('configure arguments:'.length));
  }

  for (const arg of result.args) {
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const key = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? '' : arg.slice(eq + 1);
    result.configure[key] = value;
    if (key === '--add-module' || key === '--add-dynamic-module') {
      result.addModules.push(value);
    } else if (key.startsWith('--with-')) {
      const name = key.slice('--with-'.length);
      if (NOT_MODULES.has(name)) continue;
      // --with-openssl=/src/openssl and the like name a source tree, not a module.
      if (eq >= 0 && value !== 'dynamic') continue;
      result.modules.push(name);
      if (value === 'dynamic') result.dynamic.push(name);
    }
  }
  return result;
}

export interface NginxPaths {
  prefix: string;
  confPath: string;
  errorLogPath: string;
  httpLogPath: string;
  pidPath: string;
  user: string;
  /** null: configure chose between nobody and nogroup on the build machine. */
  group: string | null;
}

/**
 * The compiled-in defaults, as nginx's configure script sets them when an option is absent.
 * Relative paths are relative to the prefix. These are only defaults: the running master's -p/-c and
 * the configuration itself (`nginx -T`) override them. Debian's error log default is "stderr".
 */
export function nginxPaths(v: NginxV): NginxPaths {
  const c = v.configure;
  const prefix = c['--prefix'] || '/usr/local/nginx';
  const under = (p: string | undefined, fallback: string): string => {
    const value = p || fallback;
    if (value.startsWith('/') || value === 'stderr') return value;
    return `${prefix.replace(/\/$/, '')}/${value}`;
  };
  const user = c['--user'] || 'nobody';
  return {
    prefix,
    confPath: under(c['--conf-path'], 'conf/nginx.conf'),
    errorLogPath: under(c['--error-log-path'], 'logs/error.log'),
    httpLogPath: under(c['--http-log-path'], 'logs/access.log'),
    pidPath: under(c['--pid-path'], 'logs/nginx.pid'),
    user,
    // Without --group configure uses the user's name, except for nobody, where it picked "nobody" or
    // "nogroup" by looking at the build machine's /etc/group: not knowable from here.
    group: c['--group'] || (user === 'nobody' ? null : user),
  };
}
