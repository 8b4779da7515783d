import { stripControl } from './sanitize.js';

/**
 * The one way a line reaches stderr: the errors that end a run, warnings, the apply's step log, lint's
 * problems. Each quotes boxes, recordings, flow files or arguments, so each goes through the one sanitiser.
 */
export function stderrLine(text: string, write: (text: string) => void = (t) => void process.stderr.write(t)): void {
  write(`${stripControl(text)}\n`);
}

/** A message of badgateway's own, named as such: `badgateway: <message>`. */
export function say(message: string, write?: (text: string) => void): void {
  stderrLine(`badgateway: ${message}`, write);
}
