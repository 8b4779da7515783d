import { Text as InkText } from 'ink';
import type { ComponentProps, ReactNode } from 'react';
import { stripControl } from '../shell/sanitize.js';

/** Every string a screen shows, through the one sanitiser; nested elements are Texts of their own. */
function shown(children: ReactNode): ReactNode {
  if (typeof children === 'string') return stripControl(children);
  if (Array.isArray(children)) return children.map(shown);
  return children;
}

/**
 * The wizard's and practice's Text: Ink's, with every string child stripped of terminal controls
 * (src/shell/sanitize.ts). A screen shows host-, recording-, flow- and argument-derived text, so src/ui
 * imports Text from here, never from ink (test/unit/ui/safe-text.test.ts holds it so).
 */
export function Text(props: ComponentProps<typeof InkText>) {
  return <InkText {...props}>{shown(props.children)}</InkText>;
}
