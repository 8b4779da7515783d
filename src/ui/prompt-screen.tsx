import { Box } from 'ink';
import type { Prompt } from '../store/prompts.js';
import { Menu } from './menu.js';
import { SecretInput } from './secret-input.js';
import { Header, Notes, type WizardStore } from './wizard-frame.js';
import { Text } from './text.js';

/** A question the session puts to the person while it runs: a host key, a passphrase, which host. */
export function PromptScreen({ store, prompt }: { store: WizardStore; prompt: Prompt }) {
  return (
    <Box flexDirection="column">
      <Header store={store} />
      <Notes store={store} />
      {prompt.kind === 'secret' ? (
        <SecretInput question={prompt.question} onAnswer={prompt.answer} />
      ) : (
        <Box flexDirection="column" marginTop={1}>
          <Text wrap="wrap">{prompt.question}</Text>
          <Menu items={prompt.options} onPick={prompt.answer} />
        </Box>
      )}
    </Box>
  );
}
