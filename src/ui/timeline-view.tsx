import { Box } from 'ink';
import { timelineLines } from '../history/chart.js';
import type { HistoryReport } from '../history/types.js';
import { tone } from './theme.js';
import { Text } from './text.js';

const clock = (iso: string) => iso.replace('T', ' ');

/** What already happened: 502s and 504s per minute with their markers, then the episodes, newest last. */
export function TimelineView({ history }: { history: HistoryReport }) {
  const chart = timelineLines(history, 48);
  if (!history.episodes.length) return null;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>What happened before</Text>
      {chart.map((line, i) => (
        <Text key={`chart-${i}`} color={i < 2 ? tone('bad') : tone('dim')} wrap="truncate-end">
          {line}
        </Text>
      ))}
      {history.episodes.slice(-5).map((e, i) => (
        <Text key={`episode-${i}`} wrap="truncate-end">
          {`${history.episodes.length - Math.min(5, history.episodes.length) + i + 1}. ${clock(e.first)}${e.last === e.first ? '' : ` to ${e.last.slice(11)}`}  ${e.count}× ${e.cause} (${e.story})  ${e.upstream || '-'} ${e.location || ''}`}
        </Text>
      ))}
    </Box>
  );
}
