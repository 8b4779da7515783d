import { Box } from 'ink';
import type { ApplyEvent } from '../fixes/apply/steps.js';
import type { ApplyOutcome } from '../fixes/apply/run.js';
import type { PreviewLine } from '../fixes/apply/preview.js';
import type { ApplyState } from '../store/wizard-state.js';
import { Menu } from './menu.js';
import { Spinner } from './spinner.js';
import { SYMBOLS, tone, type Tone } from './theme.js';
import { Text } from './text.js';

const LINE_TONE: Record<PreviewLine['kind'], Tone | undefined> = { heading: 'accent', text: undefined, command: undefined, removed: 'bad', added: 'ok', context: 'dim', skipped: 'dim' };

function Preview({ lines }: { lines: PreviewLine[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Text key={i} color={LINE_TONE[line.kind] ? tone(LINE_TONE[line.kind] as Tone) : undefined} wrap="wrap">
          {line.kind === 'command' ? `  ${SYMBOLS.prompt} ` : line.kind === 'heading' || line.kind === 'text' ? '' : '    '}
          {line.text}
        </Text>
      ))}
    </Box>
  );
}

/** Each step as it ran: started, then how it ended. Only the newest few fit. */
function Progress({ events, shown = 12 }: { events: ApplyEvent[]; shown?: number }) {
  const lines = events.filter((e) => e.status !== 'start' || e.step.startsWith('command') || e.step.startsWith('rollback') || ['backup', 'swap', 'reload', 'verify'].includes(e.step));
  return (
    <Box flexDirection="column">
      {lines.slice(-shown).map((e, i) => {
        const mark = e.status === 'ok' ? SYMBOLS.ok : e.status === 'fail' ? SYMBOLS.bad : e.status === 'info' ? SYMBOLS.warn : SYMBOLS.arrow;
        const color = e.status === 'ok' ? tone('ok') : e.status === 'fail' ? tone('bad') : tone('dim');
        return (
          <Text key={i} wrap="wrap">
            <Text color={color}>{mark}</Text> {e.text}
          </Text>
        );
      })}
    </Box>
  );
}

function Result({ outcome }: { outcome: ApplyOutcome }) {
  const commands = outcome.changes.filter((c) => c.kind === 'command' && c.status !== 'skipped');
  return (
    <Box flexDirection="column">
      {outcome.verified ? (
        <Text bold color={tone('ok')} wrap="wrap">
          {SYMBOLS.ok} Fixed and verified: {outcome.verification?.summary ?? ''}
        </Text>
      ) : (
        <Text bold color={tone('bad')} wrap="wrap">
          {SYMBOLS.bad} Not fixed: {outcome.failure ?? 'unknown'}
        </Text>
      )}
      {outcome.rolledBack && <Text color={tone('warn')}>Rolled back: the box is as it was before.</Text>}
      {outcome.rollback.map((line, i) => (
        <Text key={`r${i}`} color={tone('dim')} wrap="wrap">
          {'  '}
          {line}
        </Text>
      ))}
      {outcome.after && (
        <Text wrap="wrap">
          With the change in place the diagnosis found: {outcome.after.cause ? `Cause: ${outcome.after.cause} · ` : ''}
          {outcome.after.title}
        </Text>
      )}
      {commands.map((c, i) =>
        c.kind === 'command' ? (
          <Text key={`c${i}`} wrap="wrap">
            {SYMBOLS.prompt} {c.command}
            <Text color={tone('dim')}>
              {' '}
              ({c.durable ? 'durable' : 'until the next restart'}){c.changed ? `: ${c.changed}` : ''}; undo: {c.undoText}
            </Text>
          </Text>
        ) : null,
      )}
      {outcome.applied && outcome.backups.length > 0 && (
        <Text color={tone('dim')} wrap="wrap">
          Backups: {outcome.backups.join(', ')}
        </Text>
      )}
      {outcome.journal && (
        <Text color={tone('dim')} wrap="wrap">
          Journal: {outcome.journal} ({outcome.verified ? 'badgateway undo reverts this fix' : 'the rollback is recorded there'})
        </Text>
      )}
    </Box>
  );
}

/** The fix's apply screens: reading, consent, progress, result. */
export function ApplyView({ state, onPick }: { state: ApplyState; onPick: (value: 'yes' | 'no' | 'again' | 'quit' | 'fix') => void }) {
  if (state.stage === 'preparing') return <Spinner label="reading the files this fix changes…" />;
  if (state.stage === 'refused') {
    return (
      <Box flexDirection="column">
        <Text color={tone('warn')} wrap="wrap">
          {SYMBOLS.warn} {state.reason}
        </Text>
        <Menu
          items={[
            { label: 'Back to the fix', value: 'fix' },
            { label: 'Quit', value: 'quit' },
          ]}
          onPick={(v) => onPick(v as 'fix' | 'quit')}
        />
      </Box>
    );
  }
  if (state.stage === 'consent') {
    return (
      <Box flexDirection="column">
        <Text bold>Apply this fix on {state.prepared.host}? Exactly this will run:</Text>
        <Preview lines={state.preview} />
        <Menu
          title="Apply it?"
          items={[
            { label: 'No: back to the fix, change nothing', value: 'no' },
            { label: 'Yes: apply it now', value: 'yes' },
          ]}
          onPick={(v) => onPick(v as 'yes' | 'no')}
        />
      </Box>
    );
  }
  if (state.stage === 'applying') {
    return (
      <Box flexDirection="column">
        <Progress events={state.events} />
        <Spinner label="applying the fix… (Ctrl-C rolls it back)" />
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <Progress events={state.events} shown={6} />
      <Result outcome={state.outcome} />
      <Menu
        items={[...(state.outcome.verified ? [] : [{ label: 'Diagnose again: from the error log, on the box as it is now', value: 'again' }]), { label: 'Quit', value: 'quit' }]}
        onPick={(v) => onPick(v as 'again' | 'quit')}
      />
    </Box>
  );
}
