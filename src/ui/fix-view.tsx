import { Box } from 'ink';
import type { FixNode, EndNode } from '../flow/schema.js';
import type { FixPlan } from '../fixes/plan.js';
import { commandLine } from '../shell/quote.js';
import { SYMBOLS, tone } from './theme.js';
import { Text } from './text.js';

/** The end of the walk: the cause, why, and exactly what to change and type. */
export function FixView({ node, title, why, caution, fix }: { node: FixNode | EndNode; title: string; why: string; caution: string | null; fix: FixPlan | null }) {
  const healthy = node.kind === 'end' && node.end === 'healthy';
  const symbol = healthy ? SYMBOLS.ok : node.kind === 'fix' ? SYMBOLS.bad : SYMBOLS.warn;
  const color = healthy ? tone('ok') : node.kind === 'fix' ? tone('bad') : tone('warn');
  return (
    <Box flexDirection="column">
      <Text bold>
        <Text color={color}>{symbol}</Text> {node.cause ? `Cause: ${node.cause} · ` : ''}
        {title}
      </Text>
      <Text wrap="wrap">{why}</Text>
      {fix?.edits.map((edit, index) => (
        <Box key={`${index}:${edit.file}:${edit.line}`} flexDirection="column">
          <Text color={tone('accent')}>
            Change {edit.file}:{edit.line}
          </Text>
          {edit.before.split('\n').map((line, i) => (
            <Text key={`b${i}`} color={tone('bad')} wrap="wrap">
              {'  - '}
              {line}
            </Text>
          ))}
          {edit.after.split('\n').map((line, i) => (
            <Text key={`a${i}`} color={tone('ok')} wrap="wrap">
              {'  + '}
              {line}
            </Text>
          ))}
        </Box>
      ))}
      {fix && fix.commands.length > 0 && (
        <Box flexDirection="column">
          <Text color={tone('accent')}>{fix.edits.length ? 'Then run:' : 'Run:'}</Text>
          {fix.commands.map((c, i) => (
            <Text key={i} wrap="wrap">
              {'  '}
              {SYMBOLS.prompt} {commandLine(c.argv, 'person')}
              <Text color={tone('dim')}>{c.durable ? '' : '  (until the next restart)'}</Text>
            </Text>
          ))}
        </Box>
      )}
      {fix?.notes.map((note, i) => (
        <Text key={`n${i}`} color={tone('dim')} wrap="wrap">
          {note}
        </Text>
      ))}
      {node.kind === 'end' && node.collect?.length ? <Text color={tone('dim')}>Collect next: {node.collect.join('; ')}</Text> : null}
      {caution && (
        <Text color={tone('warn')} wrap="wrap">
          {SYMBOLS.warn} {caution}
        </Text>
      )}
    </Box>
  );
}
