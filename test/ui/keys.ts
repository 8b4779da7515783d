/** Keys as a terminal sends them. */
export const KEY = { down: '\u001B[B', up: '\u001B[A', enter: '\r' } as const;

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Waits (bounded) until the frame satisfies the predicate. */
export async function waitForFrame(lastFrame: () => string | undefined, predicate: (frame: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const frame = lastFrame() ?? '';
    if (predicate(frame)) return frame;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the frame never matched; last frame:\n${lastFrame()}`);
}

/**
 * Sends a key, waits until the frame changes, then one more tick: ink-select-input re-binds its input
 * handler in an effect after each render, so a key sent on the very frame can reach the old handler.
 */
export async function press(stdin: { write: (data: string) => void }, lastFrame: () => string | undefined, key: string): Promise<string> {
  const before = lastFrame();
  stdin.write(key);
  const frame = await waitForFrame(lastFrame, (f) => f !== before, 5_000).catch(() => lastFrame() ?? '');
  await tick();
  await tick();
  return frame;
}
