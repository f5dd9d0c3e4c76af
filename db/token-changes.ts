import { Client } from 'pg';
import { TOKEN_CHANGES_CHANNEL } from './tokens';

/** Wait before listening again after the connection is lost; it doubles per failure up to the maximum. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 10_000;
/** How long one attempt waits for the database, so an unreachable one cannot hold up the API's start. */
const CONNECT_TIMEOUT_MS = 5_000;

/** TokenChangeHandlers hear from a token-change listener. */
export interface TokenChangeHandlers {
  /** listening: changes are heard from now on; those committed before were not. */
  listening(): void;
  /** changed: a token was revoked, deleted or edited. */
  changed(tokenId: string): void;
  /** lost: the connection is gone; changes go unheard until the next listening(). */
  lost(): void;
}

export interface TokenChangeListener {
  stop(): Promise<void>;
}

/**
 * listenForTokenChanges holds one connection that LISTENs on TOKEN_CHANGES_CHANNEL and calls
 * handlers, connecting again after a loss until stopped. It resolves once its first attempt
 * to listen has succeeded or failed, so a caller that starts with the database up hears
 * changes from then on.
 */
export async function listenForTokenChanges(databaseUrl: string, handlers: TokenChangeHandlers): Promise<TokenChangeListener> {
  let stopped = false;
  let current: Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delay = RETRY_FIRST_MS;

  const attempt = async (): Promise<void> => {
    const client = new Client({ connectionString: databaseUrl, keepAlive: true, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    let down = false;
    const fail = (error: Error) => {
      if (down) return;
      down = true;
      if (current === client) current = undefined;
      client.end().catch(() => undefined);
      if (stopped) return;
      handlers.lost();
      console.warn(`api: not listening for token changes (${error.message}); tokens are looked up on every request until it listens again`);
      retry = setTimeout(() => void attempt(), delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('the connection ended')));
    client.on('notification', (message) => {
      if (message.channel === TOKEN_CHANGES_CHANNEL) handlers.changed(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${TOKEN_CHANGES_CHANNEL}`);
    } catch (error) {
      fail(error as Error);
      return;
    }
    if (stopped || down) {
      await client.end().catch(() => undefined);
      return;
    }
    current = client;
    delay = RETRY_FIRST_MS;
    handlers.listening();
  };

  await attempt();
  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      handlers.lost();
      await current?.end().catch(() => undefined);
    },
  };
}
