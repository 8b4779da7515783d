/**
 * The wizard's first frame as plain text, written before Ink has loaded: loading Ink, React and Yoga
 * takes longer than everything else before the first frame. It shows what the step screen shows at
 * first (the header, the first step's title and why, a status line); Ink's own first frame replaces it
 * (erasingEarlyFrame). Pure: no Ink, no React.
 */
import type { FlowNode } from '../flow/schema.js';
import { stripControl } from '../shell/sanitize.js';

export interface EarlyFrameInput {
  flowTitle: string;
  hostLabel: string;
  url?: string;
  node: FlowNode;
  /** What the spinner line says: checking, or connecting to the hosts. */
  status: string;
  columns: number;
  color: boolean;
}

const SGR = { bold: ['\x1b[1m', '\x1b[22m'], dim: ['\x1b[90m', '\x1b[39m'], accent: ['\x1b[36m', '\x1b[39m'] } as const;

/** Words onto lines of at most `width` characters; a word longer than a line is cut. */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if ([...next].length <= width) {
      line = next;
      continue;
    }
    if (line) lines.push(line);
    let rest = [...word];
    while (rest.length > width) {
      lines.push(rest.slice(0, width).join(''));
      rest = rest.slice(width);
    }
    line = rest.join('');
  }
  if (line) lines.push(line);
  return lines;
}

function truncate(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** The frame's lines, each at most `columns - 1` characters wide, so none wraps on the terminal. */
export function earlyFrame(input: EarlyFrameInput): string[] {
  const width = Math.max(20, input.columns - 1);
  const paint = (style: keyof typeof SGR, text: string) => (input.color ? `${SGR[style][0]}${text}${SGR[style][1]}` : text);
  // The host and URL come from the command line, the titles from a flow file: shown as text, never as terminal controls.
  const rest = stripControl(` · ${input.flowTitle} · ${input.hostLabel}${input.url ? ` · ${input.url}` : ''}`);
  const header = truncate(`badgateway${rest}`, width);
  return [
    `${paint('bold', header.slice(0, 'badgateway'.length))}${paint('dim', header.slice('badgateway'.length))}`,
    '',
    ...wrapWords(stripControl(input.node.title), width).map((line) => paint('accent', paint('bold', line))),
    ...wrapWords(stripControl(`Why now: ${input.node.why}`), width).map((line) => paint('dim', line)),
    `${paint('accent', '⠋')} ${truncate(stripControl(input.status), width - 2)}`,
  ];
}

/** Written just before Ink's first frame: back up over the early frame's rows and clear them. */
export function erasingEarlyFrame(rows: number): string {
  return rows > 0 ? `\x1b[${rows}A\r\x1b[J` : '';
}
