/**
 * Secrets taken out of what a session recorded (README.md's list is the contract): private key blocks, the
 * values of headers that carry credentials (in HTTP output, curl arguments and nginx config lines), bare
 * Bearer/Basic tokens, the values of settings, flags, query parameters, `name: value` pairs, nginx `set`
 * variables and JSON keys named as credentials, passwords in URLs and in `curl -u`, and a MySQL client's
 * `-ppassword`. Every command's output is redacted, so a `ps` listing loses its processes' secrets. Pure.
 *
 * Redaction is idempotent and keeps a line's shape (the header name, the directive, the user in a URL),
 * so a replay that plans its commands from redacted output asks for the same redacted commands.
 */

export const REDACTED = '[redacted]';

export interface Redactions {
  privateKeys: number;
  /** Header values, and values of settings, arguments and parameters named as credentials. */
  headers: number;
  urlPasswords: number;
  /** Text a person typed as a secret (a sudo password, a passphrase) found in recorded output. */
  typedSecrets: number;
}

export function noRedactions(): Redactions {
  return { privateKeys: 0, headers: 0, urlPasswords: 0, typedSecrets: 0 };
}

const PRIVATE_KEY = /(-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----)[\s\S]*?(-----END \2PRIVATE KEY-----|$(?![\s\S]))/g;

/** Header names whose values are credentials: cookies, authorization, API keys, tokens, secrets. */
const SECRET_HEADER = String.raw`(?:set-cookie2?|cookie|(?:proxy-)?authorization|x-[a-z0-9-]*(?:api-?key|token|secret|auth|password|session)[a-z0-9-]*|(?:[a-z0-9]+-)+(?:token|secret|password|passwd|credentials?)(?:-[a-z0-9]+)*|(?:[a-z0-9]+-)*(?:api-?key|apikey|access-?key)(?:-[a-z0-9]+)*)`;

/** `Name: value` as HTTP output, curl -H arguments and logs print it. */
const HEADER_LINE = new RegExp(String.raw`(^|[\s'"\[,(=])(${SECRET_HEADER})(\s*:[ \t]*)([^\r\n'"]*)`, 'gim');

/** nginx directives that send a header or CGI parameter: `proxy_set_header Authorization "Bearer x";`. */
const DIRECTIVE = new RegExp(
  String.raw`\b((?:proxy|grpc)_set_header|add_header|more_set_(?:input_)?headers|(?:fastcgi|uwsgi|scgi)_param)(\s+)(["']?)(${SECRET_HEADER}|http_(?:cookie|authorization|proxy_authorization|x_[a-z0-9_]*(?:api_?key|token|secret|auth)[a-z0-9_]*)|[a-z0-9_]*(?:password|passwd|secret|token|api_?key|access_?key)[a-z0-9_]*)\3(\s+)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s;]+)`,
  'gi',
);

/** A setting, argument, parameter or JSON key whose name says its value is a credential. */
const SECRET_NAME = /(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|requirepass|masterauth)|(?:^|[_.-])(?:pass|pw|pwd|sig|signature)$/i;

/** The same without the short endings (_pass, _pw, _sig): for a bare `name value` line, where nginx's `proxy_pass` is a directive. */
const SECRET_WORD = /(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|requirepass|masterauth)/i;

/** A variable or flag named as a key too (`$api_key`, `--license-key`); a file, path or folder it names is no secret. */
const SECRET_KEY_NAME = /(?:^|[_.-])key$/i;
const NAMES_A_FILE = /(?:file|path|dir|directory)$/i;

/** `name=value`: an argument (--password=x, -Dx.password=x), an environment entry, a query parameter. */
const ASSIGNMENT = /(^|[\s?&;,'"([{])(-{0,2}[A-Za-z][A-Za-z0-9_.-]*)=("[^"\r\n]*"|'[^'\r\n]*'|[^\s&;,'"()}]+)/gm;

/** `name[key] = value` and `key = value` to the end of the line: php-fpm's env[] and php_admin_value[], ini files. */
const SETTING = /((?:^|[^\S\r\n])(?:[A-Za-z_][A-Za-z0-9_]*\[)?([A-Za-z0-9_.-]+)\]?[^\S\r\n]+=[^\S\r\n]*)([^\r\n]+)$/gm;

/** `"name": "value"` in JSON (a process manager's environment listing, a config dump). */
const JSON_MEMBER = /("([A-Za-z0-9_.-]+)"\s*:\s*)"((?:[^"\\]|\\.)*)"/g;

/** `scheme://user:password@host` (the user may be empty: `redis://:password@host`): the password goes, the user stays. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"<>]*):([^\s@/'"<>]+)@/gi;

/** nginx's `set $api_token "...";`: a variable named as a credential, set to a literal. */
const NGINX_SET = /\b(set\s+\$\{?([A-Za-z0-9_]+)\}?\s+)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s;]+)/g;

/** `requirepass value` alone on a line (redis.conf, nginx's `secure_link_secret value;`): a setting named as a credential. */
const SPACED_SETTING = /^([ \t]*([A-Za-z][A-Za-z0-9_.-]*)[ \t]+)("[^"\r\n]*"|'[^'\r\n]*'|[^\s;#'"]+)([ \t]*;?[ \t]*)$/gm;

/** `--password value`, `-token value`: a flag named as a credential, its value the next word. */
const FLAG_VALUE = /(^|\s)(--?[A-Za-z][A-Za-z0-9_.-]*)([ \t]+)("[^"\r\n]*"|'[^'\r\n]*'|[^\s"'-]\S*)/gm;

/** mysql's `-ppassword` (the password joined to -p), on a line that runs a MySQL or MariaDB client. */
const MYSQL_CLIENT = /\b(?:mysql[a-z]*|mariadb[a-z-]*)$/;
const MYSQL_LINE = /(\b(?:mysql[a-z]*|mariadb[a-z-]*)\b[^\r\n]*?\s)-p([^\s]+)/g;

/** curl's `-u user:password` (also --user, --proxy-user, -U, and joined: -uuser:password): the user stays. */
const USER_FLAGS = ['-u', '--user', '--proxy-user', '-U'];
const USER_PASSWORD = /(^|\s)(-u|--user|--proxy-user|-U)([ \t]+|=)?([^\s:'"]*):([^\s'"]+)/gm;

/** A bare `Bearer <token>` or `Basic <base64>` outside a header line (a log, an error message). */
const SCHEME_TOKEN = /\b(Bearer|Basic)([ \t]+)([A-Za-z0-9._~+/=-]{8,})/gi;

/** `password: value` where a key starts (a line, after `,` `{` `(` `;`) in a log or a YAML-ish listing: the next word. */
const COLON_PAIR = /(^[ \t]*|[,{(;][ \t]*)([A-Za-z][A-Za-z0-9_.-]*)([ \t]*:[ \t]*)("[^"\r\n]*"|'[^'\r\n]*'|[^\s,;}'"]+)/gm;

/** Values that say whether, not what: `Extended master secret: no`. */
const NOT_A_VALUE = /^(?:yes|no|true|false|on|off|none|null|required|optional|enabled|disabled|\(none\))$/i;

/** A word that reads as a credential, not as prose ("Bearer authentication" keeps its word): a digit, mixed case or a token's punctuation. */
const looksLikeCredential = (word: string): boolean => /\d|[a-z][A-Z]|[=._~+/-]/.test(word);

/** A flag or variable whose name says its value is a credential (and not the name of a file holding one). */
function secretName(name: string, key = true): boolean {
  const bare = name.replace(/^-+/, '');
  if (NAMES_A_FILE.test(bare)) return false;
  return SECRET_NAME.test(bare) || (key && SECRET_KEY_NAME.test(bare));
}

/** A value made only of nginx variables ($http_cookie, $cookie_x) is config, not a secret. */
function onlyVariables(value: string): boolean {
  const bare = value.replace(/^(["'])(.*)\1$/s, '$2').trim();
  return /^(\$\{?[a-z_][a-z0-9_]*\}?\s*)+$/i.test(bare);
}

/** One text with its secrets replaced by [redacted]; counts what it replaced into `counts`. */
export function redactText(text: string, counts: Redactions = noRedactions(), typed: readonly string[] = []): string {
  let out = text;
  for (const secret of typed) {
    if (secret.length < 3 || !out.includes(secret)) continue;
    counts.typedSecrets += out.split(secret).length - 1;
    out = out.split(secret).join(REDACTED);
  }
  out = out.replace(PRIVATE_KEY, (whole, begin: string, _type: string, end: string) => {
    const redacted = `${begin}\n${REDACTED}\n${end || ''}`.trimEnd();
    if (whole !== redacted) counts.privateKeys++;
    return redacted;
  });
  out = out.replace(DIRECTIVE, (whole, directive: string, gap: string, quote: string, name: string, gap2: string, value: string) => {
    if (onlyVariables(value) || value === `"${REDACTED}"`) return whole;
    counts.headers++;
    return `${directive}${gap}${quote}${name}${quote}${gap2}"${REDACTED}"`;
  });
  out = out.replace(HEADER_LINE, (whole, before: string, name: string, colon: string, value: string) => {
    if (value.trim() === '' || value.trim() === REDACTED || onlyVariables(value)) return whole;
    counts.headers++;
    return `${before}${name}${colon}${REDACTED}`;
  });
  // A value already redacted, quoted or not, is left as it is: redaction stays idempotent.
  const done = (value: string) => value.replace(/^(["'])(.*)\1$/s, '$2').trim() === REDACTED;
  out = out.replace(SETTING, (whole, head: string, name: string, value: string) => {
    if (!SECRET_NAME.test(name) || done(value) || onlyVariables(value)) return whole;
    counts.headers++;
    return `${head}${REDACTED}`;
  });
  out = out.replace(ASSIGNMENT, (whole, before: string, name: string, value: string) => {
    if (!SECRET_NAME.test(name.replace(/^-+/, '')) || done(value) || onlyVariables(value)) return whole;
    counts.headers++;
    return `${before}${name}=${REDACTED}`;
  });
  out = out.replace(JSON_MEMBER, (whole, head: string, name: string, value: string) => {
    if (!SECRET_NAME.test(name) || value === REDACTED || value === '') return whole;
    counts.headers++;
    return `${head}"${REDACTED}"`;
  });
  out = out.replace(NGINX_SET, (whole, head: string, name: string, value: string) => {
    // A value built from variables ($uri?$args) is config; a literal is what a secret looks like.
    if (!secretName(name) || done(value) || value.includes('$')) return whole;
    counts.headers++;
    return `${head}"${REDACTED}"`;
  });
  out = out.replace(SPACED_SETTING, (whole, head: string, name: string, value: string, tail: string) => {
    // Whole words only: nginx's proxy_pass and fastcgi_pass name where a request goes.
    if (!SECRET_WORD.test(name) || NAMES_A_FILE.test(name) || NOT_A_VALUE.test(value) || done(value) || value.includes('$')) return whole;
    counts.headers++;
    return `${head}${REDACTED}${tail}`;
  });
  out = out.replace(FLAG_VALUE, (whole, before: string, flag: string, gap: string, value: string) => {
    if (!secretFlagValue(flag, value) || done(value)) return whole;
    counts.headers++;
    return `${before}${flag}${gap}${REDACTED}`;
  });
  out = out.replace(MYSQL_LINE, (whole, head: string, password: string) => {
    if (password === REDACTED) return whole;
    counts.headers++;
    return `${head}-p${REDACTED}`;
  });
  out = out.replace(USER_PASSWORD, (whole, before: string, flag: string, sep: string | undefined, user: string, password: string) => {
    // A uid:gid (docker -u 1000:1000) is no password.
    if (password === REDACTED || /^\d+$/.test(password)) return whole;
    counts.urlPasswords++;
    return `${before}${flag}${sep ?? ''}${user}:${REDACTED}`;
  });
  out = out.replace(SCHEME_TOKEN, (whole, scheme: string, gap: string, token: string) => {
    if (!looksLikeCredential(token)) return whole;
    counts.headers++;
    return `${scheme}${gap}${REDACTED}`;
  });
  out = out.replace(COLON_PAIR, (whole, before: string, name: string, colon: string, value: string) => {
    // nsswitch.conf's `passwd: files` names a database, sudoers' `NOPASSWD: ALL` a rule: neither is a password.
    if (!secretName(name, false) || /^(?:no)?passwd$/i.test(name) || NOT_A_VALUE.test(value) || done(value) || onlyVariables(value)) return whole;
    counts.headers++;
    return `${before}${name}${colon}${REDACTED}`;
  });
  out = out.replace(URL_PASSWORD, (_whole, head: string, password: string) => {
    // Already redacted; a URL parser's percent-encoding of the mark reads as the mark, so a replayed
    // command built from the recording's URL matches the recorded one.
    if (password === REDACTED || password === encodeURIComponent(REDACTED)) return `${head}:${REDACTED}@`;
    counts.urlPasswords++;
    return `${head}:${REDACTED}@`;
  });
  return out;
}

/** Whether a flag's value is a secret: the flag is named as one, and a key-named flag's value is not a path. */
function secretFlagValue(flag: string, value: string): boolean {
  if (!secretName(flag)) return false;
  return SECRET_NAME.test(flag.replace(/^-+/, '')) || !/^[/~.]/.test(value);
}

/**
 * An argv with each element redacted (the same rules: a curl -H value, a URL with a password), and the
 * rules that span two elements: the value after `--password`, the password in `-u user:password`, and a
 * MySQL client's `-ppassword`.
 */
export function redactArgv(argv: readonly string[], counts: Redactions = noRedactions(), typed?: readonly string[]): string[] {
  const out = argv.map((arg) => redactText(arg, counts, typed));
  const mysql = MYSQL_CLIENT.test(out[0]?.split('/').pop() ?? '');
  for (let i = 1; i < out.length; i++) {
    const arg = out[i] as string;
    const previous = out[i - 1] as string;
    if (/^--?[A-Za-z]/.test(previous) && !previous.includes('=') && !arg.startsWith('-') && secretFlagValue(previous, arg) && arg !== REDACTED) {
      counts.headers++;
      out[i] = REDACTED;
    } else if (USER_FLAGS.includes(previous) && /^[^:]*:(?!\d+$)./.test(arg) && !arg.endsWith(`:${REDACTED}`)) {
      counts.urlPasswords++;
      out[i] = `${arg.slice(0, arg.indexOf(':'))}:${REDACTED}`;
    } else if (mysql && /^-p./.test(arg) && arg !== `-p${REDACTED}`) {
      counts.headers++;
      out[i] = `-p${REDACTED}`;
    }
  }
  return out;
}

export function total(counts: Redactions): number {
  return counts.privateKeys + counts.headers + counts.urlPasswords + counts.typedSecrets;
}
