import { Box } from 'ink';
import { outcomeWords, type Prediction, summarize } from '../practice/predict.js';
import { SYMBOLS, tone } from './theme.js';
import { Text } from './text.js';

/** The score, what the learner got right, and what to review in the guide. */
export function ScoreSummary({ predictions }: { predictions: Prediction[] }) {
  const result = summarize(predictions);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>
        You predicted {result.right} of {result.total} steps right.
      </Text>
      {result.gotRight.length > 0 && (
        <Text color={tone('ok')} wrap="wrap">
          {SYMBOLS.ok} Right: {result.gotRight.map((p) => p.title).join('; ')}
        </Text>
      )}
      {result.review.length === 0 ? (
        <Text color={tone('ok')}>Nothing to review: every prediction was right.</Text>
      ) : (
        <Box flexDirection="column">
          <Text color={tone('warn')}>To review, in the guide:</Text>
          {result.review.map((r) => (
            <Box key={r.guide.id} flexDirection="column">
              <Text wrap="wrap">
                {'  '}
                {SYMBOLS.warn} {r.guide.title}
              </Text>
              {r.missed.map((p) => (
                <Text key={p.node} color={tone('dim')} wrap="wrap">
                  {'      '}
                  {p.title}: you said {outcomeWords(p.predicted)}, it found {outcomeWords(p.actual)}
                </Text>
              ))}
            </Box>
          ))}
        </Box>
      )}
    </Box>
  );
}
