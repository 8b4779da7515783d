import { Box } from 'ink';
import SelectInput from 'ink-select-input';
import { stripControl } from '../shell/sanitize.js';
import { tone } from './theme.js';
import { Text } from './text.js';

export interface MenuItem {
  label: string;
  value: string;
}

/** A list to move through with the arrow keys and pick with Enter. ink-select-input draws the labels with its own Text: stripped here. */
export function Menu({ title, items, onPick }: { title?: string; items: MenuItem[]; onPick: (value: string) => void }) {
  return (
    <Box flexDirection="column" marginTop={1}>
      {title && <Text color={tone('dim')}>{title}</Text>}
      <SelectInput items={items.map((item) => ({ label: stripControl(item.label), value: item.value, key: item.value }))} onSelect={(item) => onPick(item.value)} />
    </Box>
  );
}
