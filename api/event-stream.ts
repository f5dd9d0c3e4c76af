import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import type { AuditFeed } from '../db/audit-feed';
import { listAuditEvents, type StoredAuditEvent } from '../db/audit';
import { log, errorFields } from '../telemetry/logger';
import { invalidQueryField } from './problem';

/** The media type of a server-sent event stream. */
export const EVENT_STREAM = 'text/event-stream';
/** How often an idle stream sends a comment, so proxies and clients know it is alive. */
export const HEARTBEAT_MS = 15_000;
/** How many events one read of the trail takes; a longer backlog is read in several. */
const READ_PAGE = 500;
/** What the client waits before it connects again after a lost stream (the SSE `retry:` field). */
const RECONNECT_MS = 2_000;

/** wantsEventStream tells whether the request asks for server-sent events rather than a JSON page. */
export const wantsEventStream = (req: Request): boolean => req.accepts(['application/json', EVENT_STREAM]) === EVENT_STREAM;

/**
 * streamStart is the seq after which a stream starts: the Last-Event-ID header of a client
 * that reconnects, else the `after` query parameter. A Last-Event-ID that is no seq is a 422.
 */
export function streamStart(req: Request, after: number): number {
  const lastEventId = req.get('last-event-id');
  if (lastEventId === undefined || lastEventId === '') return after;
  if (!/^\d{1,15}$/.test(lastEventId)) throw invalidQueryField('Last-Event-ID', `must be the id (seq) of an event the stream sent, a whole number; got ${JSON.stringify(lastEventId.slice(0, 40))}`);
  return Number(lastEventId);
}

/** frame is one event as SSE: its seq as id, its type as event name, and the JSON the paged endpoint answers as data. */
export const frame = (event: StoredAuditEvent): string => `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

/**
 * streamAuditEvents answers with the rollout's trail as server-sent events, from seq `after` on,
 * and keeps the response open: each notification from the feed (db/audit-feed.ts) leads to a
 * paged read from the last seq sent, so an event is sent once, in order, with nothing skipped.
 * No connection is held between reads. It ends when the client goes.
 */
export function streamAuditEvents(pool: Pool, feed: AuditFeed, rolloutId: string, after: number, req: Request, res: Response): void {
  res.writeHead(200, {
    'content-type': `${EVENT_STREAM}; charset=utf-8`,
    'cache-control': 'no-store',
    connection: 'keep-alive',
    // Proxies that buffer answers (nginx) pass this one through as it comes.
    'x-accel-buffering': 'no',
  });
  res.write(`retry: ${RECONNECT_MS}\n\n`);

  let last = after;
  let closed = false;
  let reading = false;
  let again = false;

  // Reads are one at a time: a notification during a read asks for one more after it.
  const drain = async (): Promise<void> => {
    if (closed) return;
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        for (;;) {
          const events = await listAuditEvents(pool, rolloutId, last, READ_PAGE);
          if (closed) return;
          for (const event of events) {
            res.write(frame(event));
            last = event.seq;
          }
          if (events.length < READ_PAGE) break;
        }
      } while (again && !closed);
    } catch (error) {
      // The next notification or heartbeat reads again from the same seq.
      log().warn({ ...errorFields(error as Error), rolloutId }, 'api: reading the audit trail for an event stream failed');
    } finally {
      reading = false;
    }
  };

  // Subscribed before the first read, so an event appended meanwhile is read too.
  const unsubscribe = feed.subscribe(rolloutId, { changed: () => void drain(), ended: () => res.end() });
  const heartbeat = setInterval(() => {
    res.write(': heartbeat\n\n');
    // Without the feed (its connection lost), the heartbeat is the only wake-up.
    if (!feed.listening) void drain();
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const close = () => {
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
  };
  req.on('close', close);
  res.on('close', close);
  void drain();
}
