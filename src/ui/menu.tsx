import { Box, Text } from 'ink';
import SelectInput from 'ink-select-input';
import { tone } from './theme.js';

export interface MenuItem {
  label: string;
  value: string;
}

/** A list to move through with the arrow keys and pick with Enter. */
export function Menu({ title, items, onPick }: { title?: string; items: MenuItem[]; onPick: (value: string) => void }) {
  return (
    <Box flexDirection="column" marginTop={1}>
      {title && <Text color={tone('dim')}>{title}</Text>}
      <SelectInput items={items.map((item) => ({ ...item, key: item.value }))} onSelect={(item) => onPick(item.value)} />
    </Box>
  );
}
