import { fileURLToPath } from 'node:url';
import type { Netns } from './netns.js';
import { start, type Started } from './processes.js';

const BACKEND = fileURLToPath(new URL('./backend.py', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until a program we started prints `word`, as the python lab programs do once they listen. */
export async function waitForOutput(started: Started, word: string, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    if (started.output().includes(word)) return;
    await sleep(25);
  }
  throw new Error(`${what} did not say "${word}" within ${timeoutMs} ms: ${started.output()}`);
}

/** A python3 HTTP backend (backend.py ok) listening inside a namespace. */
export async function startBackendIn(ns: Netns, host: string, port: number): Promise<Started> {
  const argv = ns.exec(['python3', BACKEND, 'tcp', host, String(port), 'ok']);
  const backend = start(argv[0] as string, argv.slice(1));
  await waitForOutput(backend, 'ready', 'the python backend');
  return backend;
}
