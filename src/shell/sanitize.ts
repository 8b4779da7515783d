/**
 * Output from a host is untrusted: strip terminal control sequences (CSI, OSC, other escapes) and
 * control characters before anything renders it. Tabs and newlines survive.
 */
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]/g;
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function stripControl(text: string): string {
  return text.replace(ESCAPES, '').replace(CONTROLS, '');
}
