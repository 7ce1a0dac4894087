import * as vscode from 'vscode';
import { credentialKey, RedisEndpoint } from './redis/endpoint';

/** A user name (none: Redis's default user) and its password, as SecretStorage keeps them. */
export interface StoredCredentials {
  readonly username: string | undefined;
  readonly password: string;
}

/** How long an early read (see readEarly) may stand in for a read of its own. */
const EARLY_READ_MS = 10_000;

/** Credentials live in SecretStorage, one entry per server (host and port), never in settings. */
export class RedisSecrets implements vscode.Disposable {
  readonly onDidChange: vscode.Event<vscode.SecretStorageChangeEvent>;
  private early: { readonly key: string; readonly at: number; readonly raw: Promise<string | undefined> } | undefined;
  private readonly changes: vscode.Disposable;
  private forgetting: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly storage: vscode.SecretStorage) {
    this.onDidChange = storage.onDidChange;
    // Stored or deleted here or in another window: an early read may be stale.
    this.changes = storage.onDidChange(() => {
      this.early = undefined;
    });
  }

  /**
   * Starts reading `endpoint`'s stored credentials now, for the connection about to be
   * made: a read goes through the workbench, 20–70 ms in code-server while a view opens,
   * and so runs beside the rest of the view's start. The next `credentials` of the same
   * endpoint uses it once, within EARLY_READ_MS, unless a secret changed meanwhile.
   */
  readEarly(endpoint: RedisEndpoint): void {
    const key = RedisSecrets.key(endpoint);
    // Already on its way (the first stage asked as the view opened): one read is enough.
    if (this.early?.key === key && Date.now() - this.early.at < EARLY_READ_MS) return;
    const raw = Promise.resolve(this.storage.get(key));
    raw.catch(() => undefined);
    const early = { key, at: Date.now(), raw };
    this.early = early;
    // Unused (nothing connected): the password is not kept past the read's use-by time.
    clearTimeout(this.forgetting);
    this.forgetting = setTimeout(() => {
      if (this.early === early) this.early = undefined;
    }, EARLY_READ_MS);
  }

  async credentials(endpoint: RedisEndpoint): Promise<StoredCredentials | undefined> {
    const key = RedisSecrets.key(endpoint);
    const early = this.early;
    this.early = undefined;
    return parseStored(
      early?.key === key && Date.now() - early.at < EARLY_READ_MS ? await early.raw : await this.storage.get(key),
    );
  }

  /**
   * `endpoint`'s stored credentials through the early read (started now if it was not),
   * which is left for the connection that follows: the first stage's glance at the keys
   * (firstKeysRows.ts) logs in with them just before the second stage's first connection.
   */
  async peekEarly(endpoint: RedisEndpoint): Promise<StoredCredentials | undefined> {
    this.readEarly(endpoint);
    const early = this.early;
    return early ? parseStored(await early.raw) : this.credentials(endpoint);
  }

  async store(endpoint: RedisEndpoint, credentials: StoredCredentials): Promise<void> {
    this.early = undefined;
    await this.storage.store(
      RedisSecrets.key(endpoint),
      JSON.stringify({ username: credentials.username, password: credentials.password }),
    );
  }

  async forget(endpoint: RedisEndpoint): Promise<void> {
    this.early = undefined;
    await this.storage.delete(RedisSecrets.key(endpoint));
  }

  dispose(): void {
    clearTimeout(this.forgetting);
    this.early = undefined;
    this.changes.dispose();
  }

  static key(endpoint: RedisEndpoint): string {
    return credentialKey(endpoint);
  }
}

function parseStored(raw: string | undefined): StoredCredentials | undefined {
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as { username?: unknown; password?: unknown };
    if (typeof parsed.password !== 'string') return undefined;
    return {
      username: typeof parsed.username === 'string' && parsed.username ? parsed.username : undefined,
      password: parsed.password,
    };
  } catch {
    return undefined;
  }
}
