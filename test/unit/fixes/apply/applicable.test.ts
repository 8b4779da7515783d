import { describe, expect, it } from 'vitest';
import { applicability } from '../../../../src/fixes/apply/applicable.js';
import { previewOf } from '../../../../src/fixes/apply/preview.js';
import type { Prepared } from '../../../../src/fixes/apply/prepare.js';
import type { KnownFacts } from '../../../../src/facts/keys.js';
import { parseConfigText } from '../../../../src/nginx/parse-dump.js';

const CONF = '/etc/nginx/sites-enabled/app';
const { parsed } = parseConfigText('upstream app { server 127.0.0.1:9001; }\n', CONF);
const FACTS: KnownFacts = {
  'nginx.config': { files: [{ file: CONF, parsed }], tree: parsed, errors: [] },
  'nginx.test': ['nginx', '-t'],
  'nginx.reload': ['nginx', '-s', 'reload'],
  'service.start': ['service', 'php8.2-fpm', 'start'],
  'request.url': 'http://127.0.0.1:8080/',
};
const reload = [
  { argv: ['nginx', '-t'], why: '', durable: true },
  { argv: ['nginx', '-s', 'reload'], why: '', durable: true },
];
const edit = { file: CONF, line: 1, before: 'server 127.0.0.1:9001;', after: 'server 127.0.0.1:9002;', why: '' };

describe('which fixes badgateway applies by itself', () => {
  it("config edits of nginx, a reload that is the fix (stale-dns), a start with the box's service manager", () => {
    expect(applicability({ commands: reload, edits: [edit], notes: [] }, FACTS, 'wrong-port')).toEqual({ applicable: true });
    expect(applicability({ commands: reload, edits: [], notes: [] }, FACTS, 'stale-dns')).toEqual({ applicable: true });
    expect(applicability({ commands: [{ argv: ['service', 'php8.2-fpm', 'start'], why: '', durable: true }], edits: [], notes: [] }, FACTS, 'socket-missing')).toEqual({ applicable: true });
  });

  it('not this: notes only, commands that only read, a reload that fixes nothing, unknown commands, unknown files', () => {
    expect(applicability({ commands: [], edits: [], notes: ['fix the app'] }, FACTS, 'invalid-response')).toMatchObject({ applicable: false, reason: expect.stringContaining('needs a person') });
    expect(applicability({ commands: [{ argv: ['tail', '-n', '200', '--', '/var/log/app.log'], why: '', durable: true }], edits: [], notes: [] }, FACTS, 'backend-crashed').applicable).toBe(false);
    expect(applicability({ commands: reload, edits: [], notes: [] }, FACTS, 'upstream-tls').applicable).toBe(false);
    expect(applicability({ commands: [{ argv: ['rm', '-rf', '/'], why: '', durable: true }], edits: [], notes: [] }, FACTS, 'x')).toMatchObject({
      applicable: false,
      reason: expect.stringContaining('does not run "rm -rf /" by itself'),
    });
    expect(applicability({ commands: reload, edits: [{ ...edit, file: '/etc/other.conf' }], notes: [] }, FACTS, 'wrong-port').applicable).toBe(false);
    expect(applicability({ commands: reload, edits: [{ ...edit, before: '' }], notes: [] }, FACTS, 'read-timeout').applicable).toBe(false);
  });
});

describe('the consent preview: exactly what will run, in order', () => {
  const prepared: Prepared = {
    ok: true,
    refusal: null,
    host: 'root@web1',
    files: [
      {
        file: CONF,
        path: '/etc/nginx/sites-available/app',
        program: 'nginx',
        edits: [edit],
        text: '',
        newText: '',
        sha256: '',
        diff: ['@@ line 1 @@', '- server 127.0.0.1:9001;', '+ server 127.0.0.1:9002;'],
        test: ['nginx', '-t'],
        main: false,
      },
    ],
    commands: [
      { planned: { argv: ['chgrp', 'nogroup', '--', '/run/a b.sock'], why: '', durable: false }, action: { kind: 'mode', tool: 'chgrp', path: '/run/a b.sock' }, run: false, skipped: 'a stopgap' },
      { planned: { argv: ['service', 'php8.2-fpm', 'restart'], why: '', durable: true }, action: { kind: 'service', verb: 'restart' }, run: true },
    ],
    reload: true,
    nginx: { test: ['nginx', '-t'], reload: ['nginx', '-s', 'reload'], args: [], masterPid: 1, mainErrorLog: null },
    backend: null,
    stateDir: '/var/lib/badgateway',
  };

  it('backup, the diff of the real file (symlink followed), the test, the swap, the commands, the reload, the request', () => {
    const lines = previewOf(prepared, FACTS).map((l) => `${l.kind}: ${l.text}`);
    expect(lines).toEqual([
      'heading: 1. Back up the file to /var/lib/badgateway/backups/<time>/',
      'heading: 2. Write the new version next to it (outside every folder nginx includes) and change:',
      `text: ${CONF} (really /etc/nginx/sites-available/app)`,
      'context: @@ line 1 @@',
      'removed: - server 127.0.0.1:9001;',
      'added: + server 127.0.0.1:9002;',
      'heading: 3. Test the whole configuration with the new version in place, in a private mount namespace (nothing else sees it yet):',
      'command: nginx -t',
      'heading: 4. Put the new version in place in one atomic step (mv on the same file system)',
      'heading: 5. Run, and record what each changes and how to undo it:',
      'command: service php8.2-fpm restart',
      "skipped: not run: chgrp nogroup -- '/run/a b.sock': a stopgap",
      'heading: 6. Reload nginx (never a restart: open connections finish), then check that new workers started:',
      'command: nginx -s reload',
      'heading: 7. Send GET http://127.0.0.1:8080/ through nginx again: it must not answer 502/504, and nginx must log no new upstream error for it.',
      'text: If the test, the reload or that request fails: the backups go back, nginx reloads again, and the report says so.',
      'text: Every change is written to /var/lib/badgateway/journal.jsonl on root@web1; "badgateway undo" reverts the last fix.',
    ]);
  });

  it('not this: a refused apply shows only why', () => {
    expect(previewOf({ ...prepared, ok: false, refusal: 'the file changed' }, FACTS)).toEqual([{ kind: 'text', text: 'badgateway will not apply this fix by itself: the file changed' }]);
  });
});
