/**
 * The session as Markdown a person pastes into a ticket (GitHub, GitLab, Jira's Markdown paste):
 * a short summary first, then every step with its host, command, the evidence lines that decided it
 * and the branch taken, then the fix as a diff and commands, and what was applied and verified.
 * Pure: rendered from the same report object --json prints.
 */
import type { Change } from '../fixes/apply/record.js';
import type { AppliedFix } from './apply-report.js';
import type { JsonReport } from './json.js';
import { stripControl } from '../shell/sanitize.js';
import { timelineLines } from '../history/chart.js';

type Evidence = JsonReport['diagnosis']['evidence'][number];

/**
 * Every value here may come from a box, a recording or a flow file, and a ticket renders Markdown: each is
 * stripped of terminal controls first, then written so that it cannot become a link, an image, HTML, a
 * heading, a list, emphasis, or break out of its code block or table cell.
 */

/** A fence longer than any run of backticks inside, so host output cannot close it early. */
function fenced(lines: string[], language = ''): string {
  const body = stripControl(lines.join('\n'));
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${body}\n${fence}`;
}

/** Inline code that survives backticks in the value; a line break would end the span's paragraph, so it is a space. */
function code(value: string): string {
  const text = stripControl(value).replace(/\s*\n\s*/g, ' ');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return longest || /^ | $/.test(text) ? `${ticks} ${text} ${ticks}` : `${ticks}${text}${ticks}`;
}

/** What GitHub would turn into a link by itself: a URL, www.something, an email address. Shown as code instead. */
const LINKISH = /(?:[a-z][a-z0-9+.-]*:\/\/|www\.)[^\s|]+|[\w.+-]+@[\w-]+\.[\w.-]+/gi;

/** Markdown's own characters in running text, so a host's words stay words. */
function escaped(text: string): string {
  return text
    .replace(/([\\`*[\]<>!|&~#])/g, '\\$1')
    .replace(/(^|\s)_/g, '$1\\_')
    .replace(/_(?=\s|$)/g, '\\_');
}

/** Running text: one line, escaped, anything link-like as code, nothing that starts a block where it begins a line. */
function plain(text: string): string {
  const line = stripControl(text)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/^\s+/, '');
  let out = '';
  let at = 0;
  for (const match of line.matchAll(LINKISH)) {
    out += escaped(line.slice(at, match.index)) + code(match[0]);
    at = match.index + match[0].length;
  }
  out += escaped(line.slice(at));
  // A list marker, a setext underline or an ordered list's number where the text starts a line.
  return out.replace(/^([-+=])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2');
}

/** A table cell: its pipes escaped (GitHub splits cells on them even inside code). */
const cell = (markdown: string): string => markdown.replace(/\|/g, '\\|');

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function outcomeLine(report: JsonReport): string {
  if (report.error) return `could not finish: ${report.error}`;
  if (report.healthy) return 'the request works now: nothing to fix';
  if (report.fix.applied && report.fix.verified) return 'fixed and verified';
  if (report.fix.applied && report.fix.rolledBack) return 'a fix was applied, failed its verification and was rolled back';
  if (report.fix.applied) return 'fix applied, not verified';
  return 'diagnosed, not fixed yet';
}

function summary(report: JsonReport): string[] {
  const request = report.request ? `${report.request.method} ${report.request.url}` : 'the failing request (not given, none found)';
  const hosts = report.hosts.map((h) => `${plain(h.role)} ${code(h.label)}`).join(', ');
  const lines = [
    `- **Request:** ${code(request)}`,
    `- **Cause:** ${report.diagnosis.cause ? code(report.diagnosis.cause) : report.healthy ? 'none (healthy)' : 'not found'} · ${plain(report.diagnosis.title)}`,
    `- **Result:** ${outcomeLine(report)} (exit ${report.exitCode})`,
    `- **Hosts:** ${hosts || 'none'}`,
    `- **Path:** ${plain(report.steps.map((s) => `${s.node} (${s.outcome})`).join(' → ')) || 'no step ran'}`,
  ];
  if (report.fix.title) lines.push(`- **Fix:** ${plain(report.fix.title)}`);
  return lines;
}

function evidenceBlock(item: Evidence, stepHost: string): string[] {
  const out: string[] = [];
  // A command is shown as it ran (quoted by shownCommand); a probe is said in words, with no prompt to paste.
  const lines = [...(item.command ? [`$ ${item.command}`] : []), ...(item.probe ? [`# ${item.probe}`] : []), ...item.lines];
  if (item.host && item.host !== stepHost) out.push(`On ${code(item.host)}:`, '');
  if (lines.length) out.push(fenced(lines, 'console'));
  if (item.note) out.push('', `_${plain(item.note)}_`);
  return out;
}

function steps(report: JsonReport): string[] {
  const out: string[] = ['## Steps', ''];
  if (!report.steps.length) return [...out, 'No step ran.', ''];
  const titles = new Map(report.steps.map((s) => [s.node, s.title]));
  report.steps.forEach((step, index) => {
    out.push(`### ${index + 1}. ${plain(step.title)}`, '');
    out.push(`Host ${code(step.host)} · ${ms(step.ms)} · check ${code(step.node)}`, '');
    const evidence = report.diagnosis.evidence.filter((e) => e.node === step.node);
    for (const item of evidence) out.push(...evidenceBlock(item, step.host), '');
    out.push(`**Found:** ${plain(step.summary)}`, '');
    const last = index === report.steps.length - 1;
    const next = titles.get(step.next) ?? (last && !report.error ? report.diagnosis.title : null);
    const meaning = step.means ? ` ${plain(step.means)}` : '';
    const chosen = step.answered ? ' (chosen by the person running the session)' : '';
    out.push(`**Branch:** ${code(step.outcome)}${chosen} → ${code(step.next)}${next && next !== step.next ? ` (${plain(next)})` : ''}.${meaning}`, '');
  });
  return out;
}

function diff(edit: JsonReport['fix']['edits'][number]): string {
  const body = [`--- ${edit.file}`, `+++ ${edit.file}`, `@@ line ${edit.line} @@`, ...edit.before.split('\n').map((l) => `-${l}`), ...edit.after.split('\n').map((l) => `+${l}`)];
  return fenced(body, 'diff');
}

function fix(report: JsonReport): string[] {
  const { fix: plan } = report;
  const out: string[] = ['## Fix', ''];
  if (!report.diagnosis.cause) return [...out, report.healthy ? 'Nothing to fix: the request works now.' : 'No fix: the diagnosis did not reach a cause.', ''];
  if (plan.title) out.push(`**${plain(plan.title)}**`, '');
  if (report.diagnosis.explanation) out.push(plain(report.diagnosis.explanation), '');
  if (plan.edits.length) {
    out.push('### Config changes', '');
    for (const edit of plan.edits) out.push(`${code(`${edit.file}:${edit.line}`)}: ${plain(edit.why)}`, '', diff(edit), '');
  }
  if (plan.details.length) {
    out.push(plan.edits.length ? '### Then run' : '### Run', '');
    out.push(
      fenced(
        plan.details.map((d) => `${d.command}${d.durable ? '' : '   # until the next restart'}`),
        'sh',
      ),
      '',
    );
    for (const d of plan.details) out.push(`- ${code(d.command)}: ${plain(d.why)}`);
    out.push('');
  } else if (plan.commands.length) {
    out.push('### Run', '', fenced(plan.commands, 'sh'), '');
  }
  if (plan.notes.length) out.push('### Notes', '', ...plan.notes.map((n) => `- ${plain(n)}`), '');
  if (plan.caution) out.push(`> **Caution:** ${plain(plan.caution)}`, '');
  if (!plan.edits.length && !plan.details.length && !plan.commands.length && !plan.notes.length) out.push('The cause needs a person: see the explanation above.', '');
  return out;
}

/** One change the apply made, as the apply's report gives it: an edit, a command or a reload. */
function describeChange(change: Change): string[] {
  if (change.kind === 'edit') {
    const lines = change.lines.length ? `:${change.lines.join(',')}` : '';
    return [`- Edit ${code(`${change.file}${lines}`)}: ${change.status}; backup ${code(change.backup)}. Undo: ${plain(change.undo)}`];
  }
  if (change.kind === 'command') {
    const result = change.result ? ` (exit ${change.result.code ?? change.result.failure ?? 'none'})` : '';
    const skipped = change.skipped ? `: ${plain(change.skipped)}` : '';
    const changed = change.changed ? ` ${plain(change.changed)}.` : '';
    return [`- Ran ${code(change.command)}: ${change.status}${result}${skipped}.${changed} Undo: ${plain(change.undoText)}`];
  }
  return [`- Reload ${code(change.command)}: ${change.status}; ${plain(change.proof)}`];
}

function appliedAndVerified(report: JsonReport): string[] {
  if (!report.diagnosis.cause || report.healthy) return [];
  const out: string[] = ['## Applied and verified', ''];
  // Present when the fix went through --apply (see report/apply-report.ts); absent for a diagnosis only.
  const apply = report.fix as JsonReport['fix'] & Partial<AppliedFix>;
  if (!apply.applied) {
    if (apply.failure) out.push(`**Not applied:** ${plain(apply.failure)}`, '');
    out.push(
      '> **Not applied by badgateway.** This section is left for whoever applies the fix:',
      '>',
      '> - [ ] the change above applied (by hand, or `badgateway --apply`)',
      '> - [ ] verified: the failing request answers without a 502',
      '',
    );
    return out;
  }
  out.push(`**Applied:** yes${apply.rolledBack ? ', then rolled back' : ''}${apply.interrupted ? ' (interrupted)' : ''}`, '');
  for (const change of apply.changes ?? []) out.push(...describeChange(change));
  if (apply.changes?.length) out.push('');
  const verification = apply.verification;
  if (verification) {
    out.push(`**Verified:** ${verification.ok ? 'yes' : 'no'}: ${plain(verification.summary)}`, '');
    out.push(
      fenced([
        `request: ${verification.request}`,
        `status: ${verification.status ?? 'no answer'}${verification.ms !== null ? ` after ${ms(verification.ms)}` : ''}`,
        ...(verification.errorLine ? [`nginx error log: ${verification.errorLine}`] : []),
      ]),
      '',
    );
  } else out.push(`**Verified:** ${apply.verified ? 'yes' : 'no'}`, '');
  if (apply.failure) out.push(`**What went wrong:** ${plain(apply.failure)}`, '');
  if (apply.after) out.push(`**With the change in place, the diagnosis finds:** ${apply.after.cause ? code(apply.after.cause) : 'no cause'}: ${plain(apply.after.title)}`, '');
  if (apply.applyId && !apply.rolledBack) out.push(`To revert it: ${code('badgateway undo')} on the same box (apply ${code(apply.applyId)}).`, '');
  return out;
}

/** What already happened (DESIGN.md, "History"): the per-minute chart, then the episodes, newest last. */
function history(report: JsonReport): string[] {
  const past = report.history;
  if (!past) return [];
  const out = ['## What happened before', '', `Read from ${code(past.since.replace('T', ' '))} to ${code(past.until.replace('T', ' '))} (the box's clock).`, ''];
  const chart = timelineLines(past);
  if (chart.length) out.push(fenced(chart), '');
  if (!past.episodes.length) out.push('No upstream error in the logs of this window.', '');
  else {
    out.push('| # | Cause | From | To | Failures | Server | Path |', '|---|---|---|---|---|---|---|');
    past.episodes.forEach((e, i) => {
      const cells = [String(i + 1), code(e.cause), code(e.first.replace('T', ' ')), code(e.last.replace('T', ' ')), String(e.count), code(e.upstream || '-'), code(e.location || '-')];
      out.push(`| ${cells.map(cell).join(' | ')} |`);
    });
    out.push('');
    const newest = past.episodes.at(-1);
    if (newest?.evidence.length) out.push('The newest episode, as the logs show it:', '', fenced(newest.evidence), '');
  }
  if (past.notes.length) out.push(...past.notes.map((n) => `- ${plain(n)}`), '');
  return out;
}

function hosts(report: JsonReport): string[] {
  if (!report.hosts.length) return [];
  const out = ['## Hosts', '', '| Role | Host | Runs as |', '|---|---|---|'];
  for (const h of report.hosts) {
    const runsAs = typeof h.runsAs === 'string' ? h.runsAs : h.replayed ? 'replayed from a recording' : 'this machine';
    out.push(`| ${plain(h.role)} | ${cell(code(h.label))} | ${plain(runsAs)} |`);
  }
  return [...out, ''];
}

/** The whole report as Markdown. */
export function renderMarkdown(report: JsonReport): string {
  const title = report.error ? 'badgateway: the diagnosis could not finish' : `badgateway: ${report.diagnosis.title}`;
  const parts = [
    `# ${plain(title)}`,
    '',
    ...summary(report),
    '',
    ...(report.error ? [`> **Error:** ${plain(report.error)}`, ''] : []),
    ...(report.notes.length ? ['## Notes on this session', '', ...report.notes.map((n) => `- ${plain(n)}`), ''] : []),
    ...history(report),
    ...steps(report),
    ...fix(report),
    ...appliedAndVerified(report),
    ...hosts(report),
    `_Flow ${code(report.flow)}; written by badgateway._`,
    '',
  ];
  // Read with cat or less, a report must not carry a host's terminal controls.
  return stripControl(parts.join('\n'));
}
