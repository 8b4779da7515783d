import { describe, expect, it } from 'vitest';
import { applyEdits, diffOf } from '../../../../src/fixes/apply/edit-text.js';

const FILE = '/etc/nginx/sites-enabled/app';
const edit = (line: number, before: string, after: string) => ({ file: FILE, line, before, after, why: 'test' });

describe('config edits applied to the text as it is now', () => {
  it('replaces the directive on its line, keeping the rest of the line', () => {
    const text = 'http {\n    upstream app { server 127.0.0.1:9001; }\n}\n';
    const out = applyEdits(text, [edit(2, 'server 127.0.0.1:9001;', 'server 127.0.0.1:9002;')], FILE);
    expect(out).toMatchObject({ ok: true, text: 'http {\n    upstream app { server 127.0.0.1:9002; }\n}\n' });
  });

  it('tolerates other spacing between words, never other words', () => {
    const text = 'location / {\n    proxy_pass    http://127.0.0.1:9001 ;\n}\n';
    const out = applyEdits(text, [edit(2, 'proxy_pass http://127.0.0.1:9001;', 'proxy_pass http://[::1]:9001;')], FILE);
    expect(out).toMatchObject({ ok: true, text: 'location / {\n    proxy_pass http://[::1]:9001;\n}\n' });
  });

  it("a multi-line after gets the line's own indentation; CRLF files stay CRLF", () => {
    const text = 'server {\r\n        location /big/ { proxy_pass http://b; }\r\n}\r\n';
    const out = applyEdits(text, [edit(2, 'location /big/ {', 'location /big/ {\n    proxy_buffer_size 16k;')], FILE);
    expect(out).toMatchObject({ ok: true, text: 'server {\r\n        location /big/ {\r\n            proxy_buffer_size 16k; proxy_pass http://b; }\r\n}\r\n' });
  });

  it('several edits of one line apply one after the other', () => {
    const text = 'events { worker_connections 4; }\n';
    const out = applyEdits(text, [edit(1, 'worker_connections 4;', 'worker_connections 1024;'), edit(1, 'events {', 'worker_rlimit_nofile 2048;\nevents {')], FILE);
    expect(out).toMatchObject({ ok: true, text: 'worker_rlimit_nofile 2048;\nevents { worker_connections 1024; }\n' });
  });

  it('not this: the line no longer says what the diagnosis read (the file changed): refused, with both texts', () => {
    const out = applyEdits('upstream app { server 127.0.0.1:9005; }\n', [edit(1, 'server 127.0.0.1:9001;', 'server 127.0.0.1:9002;')], FILE);
    expect(out).toEqual({
      ok: false,
      problem: `${FILE}:1 no longer says "server 127.0.0.1:9001;" (it says "upstream app { server 127.0.0.1:9005; }"): the file changed since the diagnosis; run the diagnosis again`,
    });
  });

  it('not this: a directive name inside a longer one does not match (keepalive vs xkeepalive)', () => {
    expect(applyEdits('xkeepalive 4;\n', [edit(1, 'keepalive 4;', 'keepalive 8;')], FILE).ok).toBe(false);
  });

  it('refuses an edit that says nothing about what it replaces, a missing line, or a text found twice', () => {
    expect(applyEdits('a;\n', [edit(1, '', 'b;')], FILE)).toMatchObject({ ok: false, problem: expect.stringContaining('make it by hand') });
    expect(applyEdits('a;\n', [edit(9, 'a;', 'b;')], FILE)).toMatchObject({ ok: false, problem: expect.stringContaining('has no line 9') });
    expect(applyEdits('a 1; a 1;\n', [edit(1, 'a 1;', 'b;')], FILE)).toMatchObject({ ok: false, problem: expect.stringContaining('2 times') });
  });

  it('the diff names the line and shows one line of context on each side', () => {
    expect(diffOf(['a', 'b', 'c', 'd'], ['a', 'B\nB2', 'c', 'd'])).toEqual(['@@ line 2 @@', '  a', '- b', '+ B', '+ B2', '  c']);
  });
});
