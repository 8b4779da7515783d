import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeHosts } from '../../../src/drive/connect.js';
import { planFix } from '../../../src/drive/fix.js';
import { startSession } from '../../../src/engine/session.js';
import { defaultFlowFile } from '../../../src/flow-files/locate.js';
import { loadFlowFile } from '../../../src/flow/loader.js';
import { inputsOfRecording } from '../../../src/modes/run-files.js';
import { parseRecording } from '../../../src/record/recording.js';
import { replayHosts, replayToEnd } from '../../../src/record/replay.js';
import { buildReport, type JsonReport } from '../../../src/report/json.js';
import { renderMarkdown } from '../../../src/report/markdown.js';

const FLOW = loadFlowFile(defaultFlowFile());

async function reportOf(id: string): Promise<JsonReport> {
  const recording = parseRecording(readFileSync(new URL(`../../../incidents/${id}.json`, import.meta.url), 'utf8'));
  const hosts = replayHosts(recording);
  const session = await replayToEnd(startSession(FLOW, inputsOfRecording(recording)), hosts, recording);
  return buildReport(session, planFix(session), describeHosts(hosts));
}

describe('history in the reports (incidents/shop-night-blip.json: a restart window under supervisord)', () => {
  it('--json: the history of the contract, the newest episode deciding the cause, transient', async () => {
    const report = await reportOf('shop-night-blip');
    expect(report.diagnosis).toMatchObject({ cause: 'backend-down', transient: true });
    const history = report.history;
    expect(Object.keys(history ?? {})).toEqual(expect.arrayContaining(['since', 'until', 'episodes', 'per_minute']));
    expect(history?.episodes.at(-1)).toMatchObject({ cause: 'backend-down', count: 4, upstream: '127.0.0.1:8000', location: '/' });
    expect(Object.keys(history?.episodes[0] ?? {})).toEqual(expect.arrayContaining(['cause', 'first', 'last', 'count', 'upstream', 'location', 'evidence']));
    expect(history?.per_minute).toEqual([{ t: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/), '502': 4, '504': 0 }]);
  });

  it("Markdown: the chart fenced, one table row per episode, the newest episode's lines", async () => {
    const md = renderMarkdown(await reportOf('shop-night-blip'));
    const section = md.slice(md.indexOf('## What happened before'), md.indexOf('## Steps'));
    expect(section).toMatch(/```\n502 █ {2}4\n504 · {2}0\n {4}R\n/);
    expect(section).toMatch(/\| 1 \| `backend-down` \| `[\d-]+ [\d:]+` \| `[\d-]+ [\d:]+` \| 4 \| `127\.0\.0\.1:8000` \| `\/` \|/);
    expect(section).toContain("INFO spawned: 'shop' with pid");
  });

  it('Markdown: a hostile path or server in an episode stays inside its cell and its code span', async () => {
    const report = await reportOf('shop-night-blip');
    const history = report.history as NonNullable<JsonReport['history']>;
    const hostile = '/a|b` ![x](https://evil.example/p.png)\x1b[2J';
    const episodes = history.episodes.map((e) => ({ ...e, location: hostile, upstream: hostile }));
    const md = renderMarkdown({ ...report, history: { ...history, episodes } });
    const row = md.split('\n').find((l) => l.startsWith('| 1 |')) as string;
    expect(row.split(/(?<!\\)\|/)).toHaveLength(9);
    expect(row).not.toContain('\x1b');
    expect(row).toContain('`` /a\\|b` ![x](https://evil.example/p.png) ``');
  });
});
