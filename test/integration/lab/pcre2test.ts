import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A pattern for real PCRE2 and the subjects to match it against, all as bytes (Latin-1 strings), as nginx hands them over. */
export interface OracleQuery {
  pattern: string;
  caseless: boolean;
  subjects: string[];
  /** More pcre2test pattern modifiers, e.g. no_start_optimize. */
  modifiers?: string[];
}

export interface OracleAnswer {
  /** PCRE2's compile error, when it refused the pattern. */
  error?: string;
  captureCount: number;
  names: Map<string, number>;
  /**
   * Per subject: null for "No match", else every group 0..captureCount (undefined when unset): bytes as a
   * Latin-1 string, or code points for a (*UTF) pattern. A match that ended in an error (a match limit)
   * is `{ failed }`.
   */
  matches: ((string | undefined)[] | null | { failed: string })[];
}

const PCRE2TEST = '/usr/bin/pcre2test';

const hexBytes = (bytes: string): string => [...bytes].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ');

/**
 * Every byte as \xhh (one byte even in UTF mode, unlike \x{hh}), so whitespace, backslashes and newlines survive
 * pcre2test's subject line syntax; a lone backslash is the empty subject.
 */
const subjectLine = (bytes: string): string => `    ${[...bytes].map((c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('') || '\\'}`;

/** `/hh hh/hex`: the pattern given as hex pairs cannot collide with any delimiter or escape. */
const patternLine = (q: OracleQuery): string => `/${hexBytes(q.pattern) || '""'}/${[...(q.caseless ? ['i'] : []), 'hex', 'info', 'allcaptures', ...(q.modifiers ?? [])].join(',')}`;

/**
 * pcre2test prints bytes outside 32..126 as \xhh (and code points as \x{hh..}) but a backslash bare, so a
 * capture holding a backslash followed by "x" and hex digits would read wrongly: callers keep backslashes out of
 * subjects whose captures they compare.
 */
function unprint(text: string): string {
  return text.replace(/\\x\{([0-9a-f]+)\}|\\x([0-9a-f]{2})/g, (_, long: string | undefined, short: string | undefined) => String.fromCodePoint(parseInt(long ?? short!, 16)));
}

/** Runs every query through one pcre2test process and reads its report back. */
export function askPcre2(queries: OracleQuery[]): OracleAnswer[] {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-pcre2-'));
  try {
    const input = queries.map((q) => [patternLine(q), ...q.subjects.map(subjectLine), ''].join('\n')).join('\n');
    // ovector=0: a match block sized to the pattern, so every group is reported (the default stops at 14)
    writeFileSync(join(dir, 'in'), `#subject ovector=0\n\n${input}\n`, 'latin1');
    execFileSync(PCRE2TEST, ['-q', join(dir, 'in'), join(dir, 'out')]);
    return parseReport(readFileSync(join(dir, 'out'), 'latin1').split('\n'), queries);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseReport(lines: string[], queries: OracleQuery[]): OracleAnswer[] {
  let at = 0;
  const seek = (line: string) => {
    while (at < lines.length && lines[at] !== line) at++;
    if (at === lines.length) throw new Error(`pcre2test's report lacks the line ${line}`);
    at++;
  };
  /** The lines after an echoed input line, up to the next echoed subject or the blank line ending a block. */
  const section = (): string[] => {
    const out: string[] = [];
    while (at < lines.length && lines[at] !== '' && !lines[at]!.startsWith('    \\')) out.push(lines[at++]!);
    return out;
  };
  return queries.map((q) => {
    seek(patternLine(q));
    const answer = readInfo(section());
    for (const subject of q.subjects) {
      seek(subjectLine(subject));
      answer.matches.push(answer.error ? null : readMatch(section(), answer.captureCount));
    }
    return answer;
  });
}

function readInfo(info: string[]): OracleAnswer {
  const answer: OracleAnswer = { captureCount: 0, names: new Map(), matches: [] };
  const failed = info.find((l) => l.startsWith('Failed: '));
  if (failed) answer.error = failed;
  const count = info.map((l) => /^Capture group count = (\d+)/.exec(l)).find(Boolean);
  if (count) answer.captureCount = Number(count[1]);
  const namesAt = info.indexOf('Named capture groups:');
  if (namesAt >= 0) {
    for (const line of info.slice(namesAt + 1)) {
      const m = /^ {2}(\w+)\s+(\d+)$/.exec(line);
      if (!m) break;
      answer.names.set(m[1]!, Number(m[2]));
    }
  }
  return answer;
}

function readMatch(result: string[], captureCount: number): OracleAnswer['matches'][number] {
  if (result[0] === 'No match') return null;
  if (result[0]?.startsWith('Failed: error')) return { failed: result[0] };
  const groups: (string | undefined)[] = [];
  for (const line of result) {
    const m = /^ *(\d+):(?: (.*))?$/.exec(line);
    if (!m) throw new Error(`unexpected pcre2test output: ${line}`);
    groups[Number(m[1])] = m[2] === '<unset>' ? undefined : unprint(m[2] ?? '');
  }
  if (groups.length !== captureCount + 1) throw new Error(`pcre2test printed ${groups.length} groups for ${captureCount} captures`);
  return groups;
}
