import { Box, useInput } from 'ink';
import { useState } from 'react';
import { tone } from './theme.js';
import { Text } from './text.js';

/** A line typed without echo (a passphrase, a sudo password): Enter sends it, Esc declines. */
export function SecretInput({ question, onAnswer }: { question: string; onAnswer: (text: string | null) => void }) {
  const [typed, setTyped] = useState('');
  useInput((input, key) => {
    if (key.return) onAnswer(typed);
    else if (key.escape) onAnswer(null);
    else if (key.backspace || key.delete) setTyped((t) => t.slice(0, -1));
    else if (!key.ctrl && !key.meta && input) setTyped((t) => t + input);
  });
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text wrap="wrap">{question}</Text>
      <Text>
        <Text color={tone('accent')}>›</Text> {'•'.repeat(Math.min(typed.length, 40))}
      </Text>
      <Text color={tone('dim')}>Enter to send, Esc to skip. Nothing typed is shown, saved or reported.</Text>
    </Box>
  );
}
