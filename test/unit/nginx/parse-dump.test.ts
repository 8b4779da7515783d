import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Directive } from '../../../src/nginx/config-types.js';
import { globToRegExp, parseConfigText, parseDump } from '../../../src/nginx/parse-dump.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/nginx-T/${name}`, import.meta.url), 'utf8');

const all = (directives: Directive[]): Directive[] => directives.flatMap((d) => [d, ...all(d.block ?? [])]);
const find = (directives: Directive[], name: string, ...args: string[]): Directive | undefined => all(directives).find((d) => d.directive === name && args.every((a, i) => d.args[i] === a));

describe('parseDump on Debian stock nginx -T', () => {
  const config = parseDump(fixture('debian-stock.txt'));

  it('lists the dumped files in printed order, without errors', () => {
    expect(config.files.map((f) => f.file)).toEqual(['/etc/nginx/nginx.conf', '/etc/nginx/modules-enabled/50-mod-http-echo.conf', '/etc/nginx/mime.types', '/etc/nginx/sites-enabled/default']);
    expect(config.errors).toEqual([]);
  });

  it('replaces every include, inside http{} too, keeping each directive file and line', () => {
    expect(find(config.tree, 'include')).toBeUndefined();
    expect(config.tree.map((d) => d.directive)).toEqual(['user', 'worker_processes', 'pid', 'error_log', 'load_module', 'events', 'http']);
    expect(config.tree[4]).toMatchObject({ file: '/etc/nginx/modules-enabled/50-mod-http-echo.conf', line: 1 });
    const http = config.tree.find((d) => d.directive === 'http')!;
    expect(http.block!.find((d) => d.directive === 'types')).toMatchObject({ file: '/etc/nginx/mime.types', line: 2 });
    const server = http.block!.find((d) => d.directive === 'server')!;
    expect(server.file).toBe('/etc/nginx/sites-enabled/default');
    expect(find(server.block!, 'listen', '[::]:80')).toMatchObject({ args: ['[::]:80', 'default_server'] });
    expect(find(server.block!, 'try_files')).toMatchObject({ args: ['$uri', '$uri/', '=404'], file: '/etc/nginx/sites-enabled/default' });
  });

  it('keeps the per-file view with includes unresolved', () => {
    expect(find(config.files[0]!.parsed, 'include', '/etc/nginx/sites-enabled/*')).toMatchObject({ line: 60 });
    expect(config.files[0]!.parsed[0]).toEqual({ directive: 'user', args: ['www-data'], line: 1, file: '/etc/nginx/nginx.conf' });
  });

  it('does not take commented-out directives (the mail{} example)', () => {
    expect(find(config.tree, 'mail')).toBeUndefined();
    expect(find(config.tree, 'server_tokens')).toBeUndefined();
  });
});

describe('parseDump on a proxy config with relative includes', () => {
  const config = parseDump(fixture('proxy-upstream.txt'));
  const http = config.tree.find((d) => d.directive === 'http')!;

  it('resolves relative include patterns against the main file directory, in glob order', () => {
    expect(config.errors).toEqual([]);
    expect(http.block!.filter((d) => d.directive === 'server').map((s) => s.file)).toEqual([
      '/tmp/bgw/proxy/conf.d/00-default.conf',
      '/tmp/bgw/proxy/conf.d/10-app.conf',
      '/tmp/bgw/proxy/conf.d/20-wild.conf',
      '/tmp/bgw/proxy/conf.d/20-wild.conf',
      '/tmp/bgw/proxy/conf.d/30-php.conf',
    ]);
    expect(http.block!.find((d) => d.directive === 'types')?.file).toBe('/tmp/bgw/proxy/mime.types');
  });

  it('resolves includes nested in a location', () => {
    const php = find(config.tree, 'location', '~', '\\.php$')!;
    expect(php.block!.map((d) => `${d.directive}@${d.file.replace('/tmp/bgw/proxy/', '')}:${d.line}`)).toEqual([
      'fastcgi_param@snippets/fastcgi.conf:1',
      'fastcgi_param@snippets/fastcgi.conf:2',
      'fastcgi_index@snippets/fastcgi.conf:3',
      'fastcgi_pass@conf.d/30-php.conf:9',
    ]);
  });

  it('unquotes arguments the way nginx does', () => {
    expect(find(config.tree, 'root', '/srv/app/public files')?.args).toEqual(['/srv/app/public files']);
    expect(find(config.tree, 'return', '200')?.args).toEqual(['200', 'ok "healthy"\n']);
    expect(find(config.tree, 'log_format')?.args).toEqual(['main', '$remote_addr - "$request" $status upstream=$upstream_addr']);
    expect(find(config.tree, 'location', '~*')?.args).toEqual(['~*', '\\.(png|jpe?g)$']);
    expect(find(config.tree, 'server_name', '~^(?<tenant>[a-z]+)\\.tenant\\.example$')).toBeDefined();
  });

  it('does not see the commented-out proxy_pass', () => {
    const off = find(config.tree, 'location', '/off/')!;
    expect(off.block!.map((d) => d.directive)).toEqual(['return']);
  });
});

describe('parseDump with glob includes', () => {
  const config = parseDump(fixture('include-globs.txt'));
  const servers = config.tree.find((d) => d.directive === 'http')!.block!.filter((d) => d.directive === 'server');

  it('matches ? and [..] and not the files the class leaves out', () => {
    expect(servers.map((s) => s.file.replace('/tmp/bgw/minimal/sites/', ''))).toEqual(['site-1.conf', 'site-2.conf', 'site-3.conf', 'extra-a.conf']);
  });

  it('expands a file nginx dumped once wherever it is included', () => {
    expect(config.files.filter((f) => f.file.endsWith('proxy-headers.conf'))).toHaveLength(1);
    const headers = all(config.tree).filter((d) => d.directive === 'proxy_set_header');
    expect(headers).toHaveLength(4);
    expect(headers.every((d) => d.file === '/tmp/bgw/minimal/common/proxy-headers.conf')).toBe(true);
  });

  it('reads a file that had no final newline, and quoted server names', () => {
    expect(find(servers[2]!.block!, 'return')?.args).toEqual(['200', 'no newline at end']);
    expect(find(servers[3]!.block!, 'server_name')?.args).toEqual(['a b.example', 'quoted.example']);
  });
});

describe('parseDump guards', () => {
  it('ignores stderr merged before the first section and reports an empty dump', () => {
    const merged = `nginx: the configuration file /x/nginx.conf syntax is ok\n${fixture('include-globs.txt')}`;
    expect(parseDump(merged).files).toHaveLength(6);
    expect(parseDump('').errors[0]?.error).toMatch(/no "# configuration file" section/);
  });

  it('stops at an include cycle instead of recursing', () => {
    const dump = ['# configuration file /c/nginx.conf:', 'include a.conf;', '', '# configuration file /c/a.conf:', 'include /c/nginx.conf;', 'worker_processes 1;', ''].join('\n');
    const config = parseDump(dump);
    expect(config.tree).toEqual([{ directive: 'worker_processes', args: ['1'], line: 2, file: '/c/a.conf' }]);
    expect(config.errors).toEqual([{ file: '/c/a.conf', line: 1, error: 'include cycle: "/c/nginx.conf" includes itself' }]);
  });

  it('reports a plain include whose file is not in the dump, but not an empty glob', () => {
    const dump = '# configuration file /c/nginx.conf:\ninclude missing.conf;\ninclude none/*.conf;\n';
    expect(parseDump(dump).errors).toEqual([{ file: '/c/nginx.conf', line: 1, error: 'included file "missing.conf" is not in the nginx -T output' }]);
  });

  it('globs like glob(3): * stays in one segment and skips dotfiles', () => {
    const re = globToRegExp('/etc/nginx/sites-enabled/*');
    expect(re.test('/etc/nginx/sites-enabled/default')).toBe(true);
    expect(re.test('/etc/nginx/sites-enabled/.default.swp')).toBe(false);
    expect(re.test('/etc/nginx/sites-enabled/sub/x')).toBe(false);
    expect(globToRegExp('/x/[!a]?.conf').test('/x/b1.conf')).toBe(true);
    expect(globToRegExp('/x/[!a]?.conf').test('/x/a1.conf')).toBe(false);
  });
});

describe('parseConfigText', () => {
  it('keeps ${var}, # and } inside a word, and backslashes nginx keeps', () => {
    const { parsed, errors } = parseConfigText("return 200 ${v}x}y a#b un\\;q 's \"d\" \\'';\n", 'f');
    expect(errors).toEqual([]);
    expect(parsed[0]!.args).toEqual(['200', '${v}x}y', 'a#b', 'un\\;q', 's "d" \'']);
  });

  it('gives a multi-line directive the line of its name', () => {
    const { parsed } = parseConfigText('# c\nlog_format main\n  "a"\n  "b";\nhttp {\n\n  server {}\n}\n', 'f');
    expect(parsed.map((d) => [d.directive, d.line])).toEqual([
      ['log_format', 2],
      ['http', 5],
    ]);
    expect(parsed[1]!.block).toEqual([{ directive: 'server', args: [], line: 7, file: 'f', block: [] }]);
  });

  it('reports a missing ";" on the "}" line, like nginx, and keeps the directive', () => {
    // The same text nginx rejected in missing-semicolon.stderr.txt ("unexpected "}" in ...:7").
    const text = 'events {}\nhttp {\n    server {\n        listen 8090;\n        location / {\n            proxy_pass http://127.0.0.1:9000\n        }\n    }\n}\n';
    const { parsed, errors } = parseConfigText(text, '/x/nginx.conf');
    expect(errors).toEqual([{ file: '/x/nginx.conf', line: 7, error: 'unexpected "}"' }]);
    expect(fixture('missing-semicolon.stderr.txt')).toContain('unexpected "}" in /tmp/bgw/fail/missing-semicolon/nginx.conf:7');
    expect(find(parsed, 'proxy_pass')).toMatchObject({ args: ['http://127.0.0.1:9000'], line: 6 });
  });

  it('reports an unclosed block at end of file, like nginx', () => {
    const text = 'events {}\nhttp {\n    server {\n        listen 8090;\n        location / {\n            proxy_pass http://127.0.0.1:9000;\n        }\n    \n}\n';
    expect(parseConfigText(text, 'f').errors).toEqual([{ file: 'f', line: 10, error: 'unexpected end of file, expecting "}"' }]);
    expect(fixture('unexpected-eof.stderr.txt')).toContain('expecting "}" in /tmp/bgw/fail/unexpected-eof/nginx.conf:10');
  });

  it('reports a stray "}" and a missing ";" at end of file', () => {
    expect(parseConfigText('a 1;\n}\nb 2', 'f').errors).toEqual([
      { file: 'f', line: 2, error: 'unexpected "}"' },
      { file: 'f', line: 3, error: 'unexpected end of file, expecting ";" or "}"' },
    ]);
  });

  it('takes a *_by_lua_block body as one raw argument', () => {
    const text = 'location / {\n  content_by_lua_block {\n    local t = { a = "}" } -- }\n    ngx.say(t.a)\n  }\n  add_header X 1;\n}\n';
    const { parsed, errors } = parseConfigText(text, 'f');
    expect(errors).toEqual([]);
    expect(parsed[0]!.block!.map((d) => d.directive)).toEqual(['content_by_lua_block', 'add_header']);
    expect(parsed[0]!.block![0]!.args[0]).toBe('local t = { a = "}" } -- }\n    ngx.say(t.a)');
  });
});

// Real `nginx -T` stdout (nginx 1.22.1 on this box): nginx -p /tmp/bgw/lookalike -c /tmp/bgw/lookalike/nginx.conf -e stderr -T.
// The dump holds every file of that config, so it is also the config's source.
// Its files hold comments shaped like nginx -T's own header: one naming a file nginx never loads, one inside
// http{} naming a file the include before it matches, one naming its own file, one naming a file the glob
// does not match (99-off.conf.disabled) and one naming the already dumped main file.
describe('parseDump with comments that look like nginx -T headers', () => {
  const dump = fixture('lookalike-headers.txt');
  const config = parseDump(dump);
  const base = (file: string): string => file.replace('/tmp/bgw/lookalike/', '');

  it('splits only at the headers nginx printed, each file once, without errors', () => {
    expect(dump.match(/^# configuration file /gm)).toHaveLength(9);
    expect(config.files.map((f) => base(f.file))).toEqual(['nginx.conf', 'conf.d/10-a.conf', 'snippets/headers.conf', 'conf.d/20-b.conf']);
    expect(config.errors).toEqual([]);
  });

  it('keeps each lookalike a comment, so every file keeps its directives and their lines', () => {
    const main = config.files[0]!.parsed;
    expect(main.map((d) => `${d.directive}:${d.line}`)).toEqual(['worker_processes:3', 'pid:4', 'error_log:5', 'events:6', 'http:7']);
    expect(find(main, 'server')).toMatchObject({ line: 11 });
    expect(config.files[1]!.parsed.map((d) => `${d.directive}:${d.line}`)).toEqual(['server:2']);
    expect(config.files[3]!.parsed.map((d) => `${d.directive}:${d.line}`)).toEqual(['server:1']);
  });

  it('resolves the tree in include order, the snippet in both servers', () => {
    const http = config.tree.find((d) => d.directive === 'http')!;
    const servers = http.block!.filter((d) => d.directive === 'server');
    expect(servers.map((s) => `${base(s.file)}:${find(s.block!, 'listen')!.args[0]}`)).toEqual(['conf.d/10-a.conf:127.0.0.1:18082', 'conf.d/20-b.conf:127.0.0.1:18083', 'nginx.conf:127.0.0.1:18081']);
    expect(servers.slice(0, 2).map((s) => find(s.block!, 'add_header')?.file)).toEqual(['/tmp/bgw/lookalike/snippets/headers.conf', '/tmp/bgw/lookalike/snippets/headers.conf']);
  });

  it('reads the copies nginx before 1.11.6 printed once per include, as one file', () => {
    // Built from the capture: before 1.11.6 nginx -T printed a file again at each include (here the snippet
    // 20-b.conf includes) as the header and exactly the same lines.
    const snippet = '# configuration file /tmp/bgw/lookalike/snippets/headers.conf:\n';
    const old = parseDump(`${dump}${snippet}add_header X-Snippet 1;\n\n`);
    expect(old.files.map((f) => base(f.file))).toEqual(['nginx.conf', 'conf.d/10-a.conf', 'snippets/headers.conf', 'conf.d/20-b.conf']);
    expect(old.files[3]!.parsed.map((d) => d.directive)).toEqual(['server']);
    expect(old.errors).toEqual([]);

    // Not this: the same line followed by other text is a comment of the file before it.
    const other = parseDump(`${dump}${snippet}add_header X-Other 1;\n\n`);
    expect(other.files).toHaveLength(4);
    expect(other.files[3]!.parsed.map((d) => `${d.directive}:${d.line}`)).toEqual(['server:1', 'add_header:10']);
  });

  it('not this: a header right after a file with no final newline still starts the next file', () => {
    const dumpText = '# configuration file /c/nginx.conf:\nhttp { include conf.d/*.conf; }\n# configuration file /c/conf.d/a.conf:\nserver { listen 81; }\n';
    expect(parseDump(dumpText).files.map((f) => f.file)).toEqual(['/c/nginx.conf', '/c/conf.d/a.conf']);
  });

  it('not this: a header inside an unfinished block or string of the file before it is a comment', () => {
    const inBlock = '# configuration file /c/nginx.conf:\nhttp {\n    include conf.d/*.conf;\n# configuration file /c/conf.d/a.conf:\n}\n\n';
    expect(parseDump(inBlock).files.map((f) => f.file)).toEqual(['/c/nginx.conf']);
    const inString = '# configuration file /c/nginx.conf:\ninclude a.conf;\nreturn 200 "x\n# configuration file /c/a.conf:\n";\n\n';
    const config = parseDump(inString);
    expect(config.files.map((f) => f.file)).toEqual(['/c/nginx.conf']);
    expect(find(config.files[0]!.parsed, 'return')?.args).toEqual(['200', 'x\n# configuration file /c/a.conf:\n']);
  });
});

// Hand-written: there is no OpenResty (lua-nginx-module) on this box to capture from. The rules followed are
// lua-nginx-module's block lexer: braces count except inside short strings (which end on their line), long
// brackets of any level, and -- comments (long or to the end of the line).
describe('parseConfigText on *_by_lua_block bodies', () => {
  const lua = (body: string, name = 'content_by_lua_block') => {
    const text = `location / {\n  ${name} {${body}}\n  add_header X-After 1;\n}\nlisten 80;\n`;
    const { parsed, errors, complete } = parseConfigText(text, 'f');
    const block = parsed[0]!.block!;
    return { errors, complete, block, parsed, after: find(block, 'add_header')?.line, listen: find(parsed, 'listen')?.line };
  };
  const lines = (body: string): number => body.split('\n').length - 1;

  it.each([
    ['a long bracket string', '\n    local s = [[ } ]]\n    ngx.say(s)\n  '],
    ['a long bracket of level 2 holding ]] and }', '\n    local s = [==[ ]] } ]=] ]==]\n  '],
    ['a multi-line long comment', '\n    --[[ a comment\n    with } in it ]]\n    ngx.say(1)\n  '],
    ['a long comment of level 1', '\n    --[=[ } ]] } ]=]\n  '],
    ['a line comment', '\n    ngx.say(1) -- } closes nothing\n  '],
    ['quoted strings with escaped quotes', '\n    ngx.say("\\"}", \'\\\'}\', "a\\\\")\n  '],
    ['nested tables', '\n    local t = { a = { b = "}" } }\n  '],
  ])('keeps %s inside the body, and the lines after it', (_, body) => {
    const got = lua(body);
    expect(got.errors).toEqual([]);
    expect(got.complete).toBe(true);
    expect(got.block.map((d) => d.directive)).toEqual(['content_by_lua_block', 'add_header']);
    expect(got.block[0]!.args).toEqual([body.trim()]);
    expect(got.after).toBe(3 + lines(body));
    expect(got.listen).toBe(5 + lines(body));
  });

  it('reads set_by_lua_block with its variable, and other phases', () => {
    const set = lua(' return "}" ', 'set_by_lua_block $v');
    expect(set.block[0]).toMatchObject({ directive: 'set_by_lua_block', args: ['$v', 'return "}"'] });
    for (const name of ['access_by_lua_block', 'init_by_lua_block', 'log_by_lua_block']) {
      expect(lua(' local x = [[}]] ', name).block[0]).toMatchObject({ directive: name, args: ['local x = [[}]]'] });
    }
  });

  it('takes a quote that does not close on its line as plain text, like lua-nginx-module', () => {
    expect(lua('\n    -- it\'s fine\n    ngx.say("x")\n  ').block[0]!.args[0]).toBe('-- it\'s fine\n    ngx.say("x")');
    expect(lua(" local a = 'x\n  ").errors).toEqual([]);
  });

  it('reports a long bracket that never closes at end of file', () => {
    const { errors, complete } = parseConfigText('content_by_lua_block {\n  local s = [[ }\n}\nlisten 80;\n', 'f');
    expect(errors).toEqual([{ file: 'f', line: 5, error: 'unexpected end of file, expecting "}"' }]);
    expect(complete).toBe(false);
  });

  it('not this: an ordinary block is nginx syntax, where [[ and -- are plain words', () => {
    const { parsed, errors } = parseConfigText('location / {\n  add_header X --[[;\n  return 200 "[[";\n}\nlisten 80;\n', 'f');
    expect(errors).toEqual([]);
    expect(parsed[0]!.block!.map((d) => [d.directive, ...d.args])).toEqual([
      ['add_header', 'X', '--[['],
      ['return', '200', '[['],
    ]);
    expect(find(parsed, 'listen')?.line).toBe(5);
  });
});
