import { Box } from 'ink';
import type { Evidence } from '../facts/evidence.js';
import type { TakenStep } from '../engine/session.js';
import type { FlowNode } from '../flow/schema.js';
import { Spinner } from './spinner.js';
import { SYMBOLS, tone } from './theme.js';
import { Text } from './text.js';

export function EvidenceLines({ evidence, budget }: { evidence: Evidence[]; budget: number }) {
  const rows: { key: string; text: string; kind: 'command' | 'line' | 'note' }[] = [];
  evidence.forEach((e, i) => {
    if (e.command) rows.push({ key: `${i}c`, text: `${SYMBOLS.prompt} ${e.command}`, kind: 'command' });
    // A probe is said in words, without the prompt: nothing to paste.
    if (e.probe) rows.push({ key: `${i}p`, text: `(${e.probe})`, kind: 'command' });
    e.lines.forEach((line, j) => rows.push({ key: `${i}l${j}`, text: `  ${line}`, kind: 'line' }));
    if (e.note) rows.push({ key: `${i}n`, text: `  (${e.note})`, kind: 'note' });
  });
  const shown = rows.slice(0, budget);
  return (
    <Box flexDirection="column">
      {shown.map((row) => (
        <Text key={row.key} wrap="truncate-end" color={row.kind === 'line' ? undefined : tone('dim')}>
          {row.text}
        </Text>
      ))}
      {rows.length > shown.length && <Text color={tone('dim')}> … {rows.length - shown.length} more lines in the report (--json)</Text>}
    </Box>
  );
}

/** A step's title and why it comes now: the teaching text every screen of a step starts with. */
export function StepHeading({ node }: { node: FlowNode }) {
  return (
    <>
      <Text bold color={tone('accent')}>
        {node.title}
      </Text>
      <Text color={tone('dim')} wrap="wrap">
        Why now: {node.why}
      </Text>
    </>
  );
}

/** The step running now (spinner) or the one just taken (evidence and the branch it chose). */
export function StepView({ node, taken, running, evidenceRows }: { node: FlowNode; taken: TakenStep | null; running: boolean; evidenceRows: number }) {
  return (
    <Box flexDirection="column">
      <StepHeading node={node} />
      {running && <Spinner label="checking…" />}
      {taken && (
        <Box flexDirection="column">
          <EvidenceLines evidence={taken.evidence} budget={evidenceRows} />
          <Text wrap="wrap">
            <Text color={tone('accent')}>{SYMBOLS.arrow}</Text> {taken.summary}
          </Text>
          {node.kind === 'step' && node.means?.[taken.outcome] && (
            <Text color={tone('dim')} wrap="wrap">
              {'  '}
              {node.means[taken.outcome]}
            </Text>
          )}
        </Box>
      )}
    </Box>
  );
}
