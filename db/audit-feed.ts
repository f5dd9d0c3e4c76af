import { Client } from 'pg';

/** The channel db/migrations/013_audit_event_notifications.sql notifies for every appended audit event. */
export const AUDIT_EVENTS_CHANNEL = 'rollgate_audit_events';

/** The listening connection's application_name, by which pg_stat_activity shows it. */
export const AUDIT_FEED_APPLICATION = 'rollgate-audit-feed';
/** Wait before listening again after the connection is lost; it doubles per failure up to the maximum. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 10_000;
/** How long one attempt waits for the database, so an unreachable one cannot hold up the API's start. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A subscriber is told that its rollout's trail may have grown (changed): it reads the new
 * events itself, from the last seq it has. It is also told so when the feed listens again after
 * a loss, since notifications sent meanwhile were not heard; and told to end when the feed stops.
 */
export interface AuditSubscriber {
  changed(): void;
  ended(): void;
}

export interface AuditFeed {
  /** subscribe tells subscriber whenever rolloutId's trail may have grown; the returned function ends it. */
  subscribe(rolloutId: string, subscriber: AuditSubscriber): () => void;
  /** listening tells whether notifications are heard now. */
  readonly listening: boolean;
  stop(): Promise<void>;
}

/**
 * listenForAuditEvents holds one connection that LISTENs on AUDIT_EVENTS_CHANNEL for the whole
 * process and fans each notification out to the subscribers of its rollout, connecting again
 * after a loss until stopped. It resolves once its first attempt has succeeded or failed.
 */
export async function listenForAuditEvents(databaseUrl: string): Promise<AuditFeed> {
  const subscribers = new Map<string, Set<AuditSubscriber>>();
  let stopped = false;
  let current: Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delay = RETRY_FIRST_MS;

  const wake = (rolloutId: string) => {
    for (const subscriber of subscribers.get(rolloutId) ?? []) subscriber.changed();
  };
  const wakeAll = () => {
    for (const rolloutId of subscribers.keys()) wake(rolloutId);
  };

  const attempt = async (): Promise<void> => {
    const client = new Client({ connectionString: databaseUrl, keepAlive: true, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: AUDIT_FEED_APPLICATION });
    let down = false;
    const fail = (error: Error) => {
      if (down) return;
      down = true;
      if (current === client) current = undefined;
      client.end().catch(() => undefined);
      if (stopped) return;
      console.warn(`api: not listening for audit events (${error.message}); event streams wait until it listens again`);
      retry = setTimeout(() => void attempt(), delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('the connection ended')));
    client.on('notification', (message) => {
      if (message.channel !== AUDIT_EVENTS_CHANNEL) return;
      const rolloutId = rolloutIdOf(message.payload);
      if (rolloutId !== undefined) wake(rolloutId);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${AUDIT_EVENTS_CHANNEL}`);
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
    // What was appended while no one listened is read now.
    wakeAll();
  };

  await attempt();
  return {
    subscribe(rolloutId, subscriber) {
      let set = subscribers.get(rolloutId);
      if (!set) subscribers.set(rolloutId, (set = new Set()));
      set.add(subscriber);
      return () => {
        set.delete(subscriber);
        if (set.size === 0 && subscribers.get(rolloutId) === set) subscribers.delete(rolloutId);
      };
    },
    get listening() {
      return current !== undefined;
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      const ending = [...subscribers.values()].flatMap((set) => [...set]);
      subscribers.clear();
      for (const subscriber of ending) subscriber.ended();
      await current?.end().catch(() => undefined);
    },
  };
}

/** rolloutIdOf reads the rollout id of a notification's payload; undefined for a payload of another shape. */
function rolloutIdOf(payload: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(payload ?? '') as { rolloutId?: unknown };
    return typeof parsed.rolloutId === 'string' ? parsed.rolloutId : undefined;
  } catch {
    return undefined;
  }
}

/** silentFeed is a feed that hears nothing: its subscribers read on their own (the heartbeat), e.g. in an app built without a listener. */
export const silentFeed: AuditFeed = {
  subscribe: () => () => undefined,
  listening: false,
  stop: () => Promise.resolve(),
};
