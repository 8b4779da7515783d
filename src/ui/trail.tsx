import { Box, Text } from 'ink';
import React from 'react';
import type { Session } from '../engine/session.js';
import { SYMBOLS, tone } from './theme.js';

const SHOWN = 5;

/** The steps taken so far, a line each, like a checklist. */
export function Trail({ session }: { session: Session }) {
  const steps = session.trail;
  const hidden = Math.max(0, steps.length - SHOWN);
  return (
    <Box flexDirection="column">
      {hidden > 0 && <Text color={tone('dim')}>  … {hidden} earlier step{hidden > 1 ? 's' : ''}</Text>}
      {steps.slice(hidden).map((step, index) => (
        <Text key={`${index}-${step.node}`} wrap="truncate-end">
          <Text color={tone('ok')}>{SYMBOLS.ok}</Text> {session.flow.nodes[step.node]?.title ?? step.node}
          <Text color={tone('dim')}> · {step.summary}</Text>
        </Text>
      ))}
    </Box>
  );
}
