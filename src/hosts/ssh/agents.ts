/**
 * The two ways keys are offered, both as ssh2 agents so the server says which key it accepts before
 * anything is signed: the user's ssh-agent, and the key files, whose passphrase is asked only for a key
 * the server is willing to accept (as ssh does).
 */
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { privateKey, type Identity } from './identity.js';

type Keys = (Buffer | ParsedKey | string)[];
type IdentityCallback = (err?: Error | null, keys?: Keys) => void;
type SignCallback = ssh2.SignCallback;
type SignOptions = ssh2.SigningRequestOptions;

function blobOf(key: Buffer | ParsedKey | string): Buffer | null {
  const parsed = ssh2.utils.parseKey(key as Buffer);
  const one = Array.isArray(parsed) ? parsed[0] : parsed;
  return !one || one instanceof Error ? null : one.getPublicSSH();
}

/** The user's ssh-agent, remembering which keys it offered; with IdentitiesOnly, only the listed keys. */
export class UserAgent extends ssh2.BaseAgent {
  readonly offered: Buffer[] = [];
  private readonly inner: ssh2.BaseAgent;

  constructor(
    readonly socket: string,
    private readonly only: Buffer[] | null,
  ) {
    super();
    this.inner = ssh2.createAgent(socket);
  }

  override getIdentities(cb: IdentityCallback): void {
    this.inner.getIdentities((err, keys) => {
      if (err || !keys) return cb(err ?? new Error('the agent listed no keys'));
      const usable = (keys as Keys).filter((key) => {
        const blob = blobOf(key);
        return blob !== null && (this.only === null || this.only.some((b) => b.equals(blob)));
      });
      for (const key of usable) this.offered.push(blobOf(key) as Buffer);
      cb(undefined, usable);
    });
  }

  override sign(pubKey: Buffer | ParsedKey | string, data: Buffer, options: SignOptions | SignCallback, cb?: SignCallback): void {
    const done = (typeof options === 'function' ? options : cb) as SignCallback;
    this.inner.sign(pubKey, data, typeof options === 'function' ? {} : options, done);
  }
}

/** Asked for a key file's passphrase; null means "skip this key". `attempt` counts from 1. */
export type PassphraseAsker = (keyFile: string, attempt: number) => Promise<string | null>;

/** Key files as an agent: the public halves are listed, a private half is decrypted only to sign. */
export class KeyFileAgent extends ssh2.BaseAgent {
  /** Encrypted keys the server would accept but that had no (right) passphrase. */
  readonly locked: string[] = [];
  private readonly unlocked = new Map<string, ParsedKey>();

  constructor(
    private readonly identities: Identity[],
    private readonly ask: PassphraseAsker | undefined,
    /** Keys ssh-agent already offered: not offered twice (each try counts against MaxAuthTries). */
    private readonly alreadyOffered: () => Buffer[],
  ) {
    super();
  }

  override getIdentities(cb: IdentityCallback): void {
    const offered = this.alreadyOffered();
    cb(
      undefined,
      this.identities.filter((i) => !offered.some((b) => b.equals(i.publicKey))).map((i) => i.publicKey),
    );
  }

  override sign(pubKey: Buffer | ParsedKey | string, data: Buffer, options: SignOptions | SignCallback, cb?: SignCallback): void {
    const done = (typeof options === 'function' ? options : cb) as SignCallback;
    const hash = typeof options === 'function' ? undefined : options?.hash;
    const blob = blobOf(pubKey);
    const identity = this.identities.find((i) => blob && i.publicKey.equals(blob));
    if (!identity) return done(new Error('no such key file'));
    this.unlock(identity).then(
      (key) => {
        if (!key) return done(new Error(`${identity.path} stays locked: no passphrase`));
        const signature = key.sign(data, hash);
        if (signature instanceof Error) return done(signature);
        done(undefined, signature);
      },
      (error: Error) => done(error),
    );
  }

  private async unlock(identity: Identity): Promise<ParsedKey | null> {
    const cached = this.unlocked.get(identity.path);
    if (cached) return cached;
    if (!identity.encrypted) {
      const key = privateKey(identity);
      if (key instanceof Error) throw key;
      this.unlocked.set(identity.path, key);
      return key;
    }
    // Three tries, as ssh allows.
    for (let attempt = 1; attempt <= 3 && this.ask; attempt++) {
      const passphrase = await this.ask(identity.path, attempt);
      if (passphrase === null) break;
      const key = privateKey(identity, passphrase);
      if (!(key instanceof Error)) {
        this.unlocked.set(identity.path, key);
        return key;
      }
    }
    this.locked.push(identity.path);
    return null;
  }
}
