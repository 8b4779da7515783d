/**
 * Questions the session puts to the person while it runs: a host key to trust, a key's passphrase, a
 * sudo password, which host reaches a backend. The store turns each into a prompt the UI renders.
 */
export interface Asker {
  choose(question: string, options: { label: string; value: string }[]): Promise<string>;
  /** A secret typed without echo; null when the person declines. */
  secret(question: string): Promise<string | null>;
  /** Something the person should read while the session goes on (a note, a warning). */
  tell(message: string): void;
}

export type Prompt =
  | { kind: 'choice'; question: string; options: { label: string; value: string }[]; answer: (value: string) => void }
  | { kind: 'secret'; question: string; answer: (text: string | null) => void };
