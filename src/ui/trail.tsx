import { Box } from 'ink';
import type { Session } from '../engine/session.js';
import { SYMBOLS, tone } from './theme.js';
import { Text } from './text.js';

/** The steps taken so far, a line each, like a checklist; the newest `shown` of them. */
export function Trail({ session, shown }: { session: Session; shown: number }) {
  const steps = session.trail;
  const hidden = Math.max(0, steps.length - shown);
  return (
    <Box flexDirection="column">
      {hidden > 0 && (
        <Text color={tone('dim')}>
          {' '}
          … {hidden} earlier step{hidden > 1 ? 's' : ''}
        </Text>
      )}
      {steps.slice(hidden).map((step, index) => (
        <Text key={`${index}-${step.node}`} wrap="truncate-end">
          <Text color={tone('ok')}>{SYMBOLS.ok}</Text> {session.flow.nodes[step.node]?.title ?? step.node}
          <Text color={tone('dim')}> · {step.summary}</Text>
        </Text>
      ))}
    </Box>
  );
}
