/**
 * Secrets taken out of what a session recorded: private key blocks, the values of headers that carry
 * credentials (in HTTP output, curl arguments and nginx config lines), the values of settings,
 * arguments, query parameters and JSON keys named as credentials (password, secret, token, api key),
 * and passwords in URLs. Pure.
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
const SECRET_HEADER = String.raw`(?:set-cookie2?|cookie|(?:proxy-)?authorization|x-[a-z0-9-]*(?:api-?key|token|secret|auth|password|session)[a-z0-9-]*|[a-z0-9-]*-(?:token|api-?key|secret))`;

/** `Name: value` as HTTP output, curl -H arguments and logs print it. */
const HEADER_LINE = new RegExp(String.raw`(^|[\s'"\[,(=])(${SECRET_HEADER})(\s*:[ \t]*)([^\r\n'"]*)`, 'gim');

/** nginx directives that send a header or CGI parameter: `proxy_set_header Authorization "Bearer x";`. */
const DIRECTIVE = new RegExp(
  String.raw`\b((?:proxy|grpc)_set_header|add_header|more_set_(?:input_)?headers|(?:fastcgi|uwsgi|scgi)_param)(\s+)(["']?)(${SECRET_HEADER}|http_(?:cookie|authorization|proxy_authorization|x_[a-z0-9_]*(?:api_?key|token|secret|auth)[a-z0-9_]*)|[a-z0-9_]*(?:password|passwd|secret|token|api_?key|access_?key)[a-z0-9_]*)\3(\s+)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s;]+)`,
  'gi',
);

/** A setting, argument, parameter or JSON key whose name says its value is a credential. */
const SECRET_NAME = /(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)|(?:^|[_.-])(?:pass|pw|pwd)$/i;

/** `name=value`: an argument (--password=x, -Dx.password=x), an environment entry, a query parameter. */
const ASSIGNMENT = /(^|[\s?&;,'"([{])(-{0,2}[A-Za-z][A-Za-z0-9_.-]*)=("[^"\r\n]*"|'[^'\r\n]*'|[^\s&;,'"()}]+)/gm;

/** `name[key] = value` and `key = value` to the end of the line: php-fpm's env[] and php_admin_value[], ini files. */
const SETTING = /((?:^|[^\S\r\n])(?:[A-Za-z_][A-Za-z0-9_]*\[)?([A-Za-z0-9_.-]+)\]?[^\S\r\n]+=[^\S\r\n]*)([^\r\n]+)$/gm;

/** `"name": "value"` in JSON (a process manager's environment listing, a config dump). */
const JSON_MEMBER = /("([A-Za-z0-9_.-]+)"\s*:\s*)"((?:[^"\\]|\\.)*)"/g;

/** `scheme://user:password@host`: the password goes, the user stays. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"<>]+):([^\s@/'"<>]+)@/gi;

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
  out = out.replace(URL_PASSWORD, (_whole, head: string, password: string) => {
    // Already redacted; a URL parser's percent-encoding of the mark reads as the mark, so a replayed
    // command built from the recording's URL matches the recorded one.
    if (password === REDACTED || password === encodeURIComponent(REDACTED)) return `${head}:${REDACTED}@`;
    counts.urlPasswords++;
    return `${head}:${REDACTED}@`;
  });
  return out;
}

/** An argv with each element redacted (the same rules: a curl -H value, a URL with a password). */
export function redactArgv(argv: readonly string[], counts?: Redactions, typed?: readonly string[]): string[] {
  return argv.map((arg) => redactText(arg, counts, typed));
}

export function total(counts: Redactions): number {
  return counts.privateKeys + counts.headers + counts.urlPasswords + counts.typedSecrets;
}
