import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startSession } from '../../../src/engine/session.js';
import { loadFlowFile } from '../../../src/flow/loader.js';
import { parseRecording } from '../../../src/record/recording.js';
import { replayHosts, replayToEnd } from '../../../src/record/replay.js';
import { buildReport, type JsonReport } from '../../../src/report/json.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { shownCommand } from '../../../src/shell/quote.js';
import { describeHosts } from '../../../src/drive/connect.js';
import { planFix } from '../../../src/drive/fix.js';
import { defaultFlowFile } from '../../../src/flow-files/locate.js';
import { inputsOfRecording } from '../../../src/modes/run-files.js';

const FLOW = loadFlowFile(defaultFlowFile());

/** The report of a bundled incident, replayed here as --json --replay would. */
async function reportOf(id: string): Promise<JsonReport> {
  const recording = parseRecording(readFileSync(new URL(`../../../incidents/${id}.json`, import.meta.url), 'utf8'));
  const hosts = replayHosts(recording);
  const session = await replayToEnd(startSession(FLOW, inputsOfRecording(recording)), hosts, recording);
  return buildReport(session, planFix(session), describeHosts(hosts));
}

const section = (md: string, heading: string) => md.slice(md.indexOf(heading), md.indexOf('\n## ', md.indexOf(heading) + 1) >>> 0);

describe('the Markdown report', () => {
  it('opens with the summary a ticket needs: request, cause, result, hosts, path', async () => {
    const report = await reportOf('reports-redeploy');
    const md = renderMarkdown(report);
    const top = md.split('\n## ')[0] as string;
    expect(top).toMatch(/^# badgateway: Point nginx at the port the backend uses\n/);
    expect(top).toContain(`- **Request:** \`GET ${report.request?.url}\``);
    expect(top).toContain('- **Cause:** `wrong-port`');
    expect(top).toContain('- **Result:** diagnosed, not fixed yet (exit 1)');
    expect(top).toContain('- **Hosts:** proxy `local`');
    expect(top).toContain('error-log (refused) → refused-where (tcp) → backend-listening (other-port)');
  });

  it('each step: host, the command and its deciding lines in a fence, what was found, the branch taken', async () => {
    const report = await reportOf('reports-redeploy');
    const md = renderMarkdown(report);
    const steps = section(md, '## Steps');
    expect(steps.match(/^### \d+\. /gm)?.length).toBe(report.steps.length);
    const errorLog = steps.slice(steps.indexOf('Read what nginx said about it'));
    expect(errorLog).toMatch(/Host `local` · \d+ ms · check `error-log`/);
    expect(errorLog).toMatch(/```console\n\$ tail -c \+\d+ -- \/tmp\/bgw-nginx-\w+\/logs\/site-errors\.log\n.*111: Connection refused/);
    expect(errorLog).toContain('**Branch:** `refused` → `refused-where` (Socket or TCP?). 111: Connection refused');
    const last = steps.slice(steps.lastIndexOf('### '));
    expect(last).toContain('**Branch:** `other-port` → `fix-wrong-port` (Point nginx at the port the backend uses).');
  });

  it('the fix as a diff and the commands to run, then a marked place for what was applied and verified', async () => {
    const report = await reportOf('reports-redeploy');
    const md = renderMarkdown(report);
    const edit = report.fix.edits[0];
    expect(edit).toBeDefined();
    expect(section(md, '## Fix')).toContain(`\`\`\`diff\n--- ${edit?.file}\n+++ ${edit?.file}\n@@ line ${edit?.line} @@\n-${edit?.before}\n+${edit?.after}\n\`\`\``);
    expect(section(md, '## Fix')).toMatch(/### Then run\n\n```sh\nnginx .* -t\nnginx .* -s reload\n```/);
    expect(section(md, '## Applied and verified')).toContain('> **Not applied by badgateway.**');
    expect(section(md, '## Applied and verified')).toContain('> - [ ] verified: the failing request answers without a 502');
  });

  it('shows what was applied and verified when the report says so (the fields --apply adds)', async () => {
    const report = await reportOf('reports-redeploy');
    const edit = report.fix.edits[0];
    const file = edit?.file as string;
    const applied = {
      ...report,
      exitCode: 0,
      fix: {
        ...report.fix,
        applied: true,
        verified: true,
        rolledBack: false,
        failure: null,
        applyId: 'a1b2',
        interrupted: false,
        changes: [
          {
            kind: 'edit',
            file,
            path: file,
            program: 'nginx',
            lines: [edit?.line],
            diff: [],
            backup: `${file}.bgw-a1b2`,
            sha256Before: 'x',
            sha256After: 'y',
            status: 'applied',
            undo: `copy ${file}.bgw-a1b2 back`,
          },
          { kind: 'reload', command: 'nginx -s reload', status: 'ran', proof: 'new worker pids 51, 52' },
        ],
        verification: { ok: true, request: `GET ${report.request?.url}`, status: 200, ms: 4, errorLine: null, attempts: 1, summary: 'nginx answers 200 without an upstream error' },
      },
    };
    const md = renderMarkdown(applied as JsonReport);
    expect(md).toContain('- **Result:** fixed and verified (exit 0)');
    const done = section(md, '## Applied and verified');
    expect(done).toContain('**Applied:** yes');
    expect(done).toContain(`- Edit \`${file}:${edit?.line}\`: applied; backup \`${file}.bgw-a1b2\`.`);
    expect(done).toContain('- Reload `nginx -s reload`: ran; new worker pids 51, 52');
    expect(done).toContain('**Verified:** yes: nginx answers 200 without an upstream error');
    expect(done).toContain('status: 200 after 4 ms');
    expect(done).toContain('To revert it: `badgateway undo`');
    expect(done).not.toContain('Not applied');
  });

  it('an escalation end: no diff, what to do in words; backticks in host output cannot break a fence', async () => {
    const report = await reportOf('backend-by-variable');
    const tricky = {
      ...report,
      diagnosis: { ...report.diagnosis, evidence: [...report.diagnosis.evidence, { node: 'find-nginx', host: 'local', command: shownCommand(['cat', 'notes']), lines: ['```', 'not a fence end'] }] },
    };
    const md = renderMarkdown(tricky);
    expect(md).toContain('- **Cause:** `no-resolver` · nginx has no resolver');
    expect(md).not.toContain('```diff');
    expect(md).toContain('````console\n$ cat notes\n```\nnot a fence end\n````');
  });

  it('carries no terminal controls from the box, even where a step quoted them', async () => {
    const report = await reportOf('reports-redeploy');
    const hostile = '\x1b]0;owned\x07\x1b[2Jlisten 8080';
    const steps = report.steps.map((step, i) => (i === 0 ? { ...step, summary: hostile } : step));
    const evidence = report.diagnosis.evidence.map((e) => ({ ...e, lines: [...e.lines, hostile] }));
    const md = renderMarkdown({ ...report, steps, diagnosis: { ...report.diagnosis, evidence } });
    expect(md).toContain('listen 8080');
    expect(md).not.toMatch(/[\x1b\x07]/);
  });
});

/** What a hostile box might name a process, a socket or a log line: Markdown that would render as something. */
const INJECTION = [
  '![x](https://evil.example/pixel.png)',
  '[click me](https://evil.example/login)',
  '<img src=x onerror=alert(1)><script>alert(1)</script>',
  '# Owned',
  '- [ ] fake checkbox',
  'a|b|c',
  '```',
  'line\n# heading on its own line\n---',
  'https://evil.example/bare www.evil.example ops@evil.example',
  '**bold** _em_ ~~gone~~ &lt;',
].join(' ');

/** Markdown with fenced blocks and code spans taken out: what is left is what renders as Markdown. */
function outsideCode(md: string): string {
  const lines: string[] = [];
  let fence: string | null = null;
  for (const line of md.split('\n')) {
    const opens = /^(`{3,})/.exec(line)?.[1];
    if (fence) {
      if (line === fence) fence = null;
      continue;
    }
    if (opens) {
      fence = opens;
      continue;
    }
    lines.push(line.replace(/(?<![\\`])(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, 'CODE'));
  }
  expect(fence, 'every fence is closed').toBeNull();
  return lines.join('\n');
}

describe('the Markdown report holds host values as text (issue 16)', () => {
  it('a hostile process name, path, log line and host label become no image, link, HTML, heading or table cell', async () => {
    const report = await reportOf('reports-redeploy');
    const steps = report.steps.map((step) => ({ ...step, summary: `python3 ${INJECTION}`, title: INJECTION }));
    const evidence = report.diagnosis.evidence.map((e) => ({ ...e, lines: [...e.lines, INJECTION], note: INJECTION }));
    const hostile: JsonReport = {
      ...report,
      steps,
      notes: [INJECTION],
      hosts: report.hosts.map((h) => ({ ...h, label: INJECTION, role: INJECTION })),
      diagnosis: { ...report.diagnosis, title: INJECTION, explanation: INJECTION, evidence },
      fix: {
        ...report.fix,
        title: INJECTION,
        notes: [INJECTION],
        caution: INJECTION,
        edits: report.fix.edits.map((e) => ({ ...e, file: INJECTION, why: INJECTION })),
        details: report.fix.details.map((d) => ({ ...d, why: INJECTION })),
      },
    };
    const md = renderMarkdown(hostile);
    // The report's own checklist is the one place it writes a [ ].
    const text = outsideCode(md).replace(/^> - \[ \] .*$/gm, '');
    expect(text.match(/.{0,40}(?<!\\)[[<].{0,20}/)?.[0]).toBeUndefined();
    expect(text).not.toMatch(/(?<!\\)!(?!\\\[)/);
    expect(text).not.toMatch(/(?<![\\`])(https?:\/\/|www\.)/);
    for (const emphasis of ['**bold**', ' _em_', '~~gone~~', ' &lt;']) expect(text).not.toContain(emphasis);
    for (const line of text.split('\n')) {
      // Only the report's own headings start with #, its own list items with -, no line is an underline.
      if (line.startsWith('#')) expect(line).toMatch(/^(# badgateway|## [A-Z]|### (\d+\. |Config changes|Then run|Run|Notes))/);
      expect(line).not.toMatch(/^(---|===)/);
      if (line.startsWith('|')) expect(line.split(/(?<!\\)\|/).length, line).toBe(5);
    }
    // The values are still there to read.
    expect(md).toContain('evil.example/pixel.png');
    expect(md).toContain('\\# Owned');
  });

  it("an evidence command is shown quoted, as it ran: -g 'daemon off;' one argument, $(...) inert when pasted", async () => {
    const report = await reportOf('reports-redeploy');
    const argv = ['nginx', '-g', 'daemon off;', '-c', '/etc/nginx/$(touch /tmp/x).conf', '-T'];
    const item = { node: 'read-config', host: 'local', command: shownCommand(argv), lines: ['ok'] };
    const md = renderMarkdown({ ...report, diagnosis: { ...report.diagnosis, evidence: [...report.diagnosis.evidence, item] } });
    expect(md).toContain("$ nginx -g 'daemon off;' -c '/etc/nginx/$(touch /tmp/x).conf' -T");
  });

  it('ordinary words are left readable', async () => {
    const report = await reportOf('reports-redeploy');
    const md = renderMarkdown({ ...report, notes: ['nginx 1.22.1 (pid 100): proxy_read_timeout is 60s; see error.log.'] });
    expect(md).toContain('- nginx 1.22.1 (pid 100): proxy_read_timeout is 60s; see error.log.');
  });
});
