import { Box } from 'ink';
import { type Incident, NOT_BUNDLED } from '../practice/incidents.js';
import { Menu } from './menu.js';
import { tone } from './theme.js';
import { Text } from './text.js';

/** The list of bundled incidents; the causes stay hidden (guessing them is the exercise). */
export function PracticeMenu({ incidents, onPick, onQuit }: { incidents: Incident[]; onPick: (id: string) => void; onQuit: () => void }) {
  return (
    <Box flexDirection="column">
      <Text bold>badgateway practice</Text>
      <Text wrap="wrap">Each incident was recorded on a real nginx broken for real. Walk it step by step: before each result shows, say what you expect the check to find.</Text>
      {incidents.length === 0 && <Text color={tone('warn')}>No incidents are installed (the incidents/ folder is missing).</Text>}
      <Menu
        title="Pick an incident:"
        items={[...incidents.map((i, n) => ({ label: `${String(n + 1).padStart(2)}. ${i.title}`, value: i.id })), { label: 'Quit', value: '' }]}
        onPick={(id) => (id ? onPick(id) : onQuit())}
      />
      {NOT_BUNDLED.map((n) => (
        <Text key={n.cause} color={tone('dim')} wrap="wrap">
          Not here: {n.cause}. {n.why}.
        </Text>
      ))}
    </Box>
  );
}
