/**
 * Secrets taken out of what a session recorded: private key blocks, the values of headers that carry
 * credentials (in HTTP output, curl arguments and nginx config lines), and passwords in URLs. Pure.
 *
 * Redaction is idempotent and keeps a line's shape (the header name, the directive, the user in a URL),
 * so a replay that plans its commands from redacted output asks for the same redacted commands.
 */

export const REDACTED = '[redacted]';

export interface Redactions {
  privateKeys: number;
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
  String.raw`\b((?:proxy|grpc)_set_header|add_header|more_set_(?:input_)?headers|(?:fastcgi|uwsgi|scgi)_param)(\s+)(["']?)(${SECRET_HEADER}|http_(?:cookie|authorization|proxy_authorization|x_[a-z0-9_]*(?:api_?key|token|secret|auth)[a-z0-9_]*))\3(\s+)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s;]+)`,
  'gi',
);

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
  out = out.replace(URL_PASSWORD, (whole, head: string, password: string) => {
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
