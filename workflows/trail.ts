import { context as traceContext, type Context as TraceContext } from '@opentelemetry/api';
import { CancellationScope, patched, proxyActivities } from '@temporalio/workflow';
import type { RecordEventInput, RecordEventsInput, RolloutActivities } from '../activities';
import type { WebhookDeliveryResult, WebhookEvent, WebhookTarget } from '../activities/webhooks';
import type { NotificationEvent, NotificationTarget } from '../definitions/schema';
import { AUDIT_WRITE, WEBHOOK_DELIVERY } from './activity-options';
import { now } from '../policy/clock';

/**
 * The audit trail and the notifications of a workflow: what the rollout and its steady-state
 * children write and send, numbered so that ids stay unique across continue-as-new.
 */

const { recordEvent, recordEvents } = proxyActivities<RolloutActivities>(AUDIT_WRITE);
const { deliverWebhook } = proxyActivities<RolloutActivities>(WEBHOOK_DELIVERY);

/** The patch under which an audit write is shielded from a cancellation requested through Temporal. */
const AUDIT_WRITE_OUTLIVES_CANCELLATION_PATCH = 'audit-write-outlives-cancellation';

/** EventFields is what an audit event says besides its type: the stage, who, in which role, why, and details. */
export interface EventFields {
  stageId?: string;
  actor?: string;
  role?: string;
  reason?: string;
  requestId?: string;
  detail?: Record<string, unknown>;
}

export interface TrailOptions {
  /** idPrefix starts every event id, `<idPrefix>:<sequence>`, so a retried write is stored once. */
  idPrefix: string;
  /** base is what every event carries: the rollout and its plan version, and for a child its stage. */
  base: { rolloutId: string; planName: string; planVersion: number; stageId?: string };
  /** seq is the number of the last event an earlier run wrote (continue-as-new); 0 on the first run. */
  seq?: number;
  /** beforeRecord runs synchronously as each event is recorded, before the event is numbered. */
  beforeRecord?: () => void;
  /** progress, when given, is written with every event (lean: with the last transition queued): the rollout registry's snapshot. */
  progress?: () => NonNullable<RecordEventInput['progress']>;
  /**
   * lean (the caller decides it under the patch `audit-trail-transitions`) makes the trail write
   * one recordEvents call per transition, in order, without holding the recording caller: see
   * createTrail.
   */
  lean?: boolean;
}

/**
 * createTrail writes a workflow's audit events one after another, so the trail's order (and
 * the registry's snapshot) follows the workflow's own order even when stages run in parallel.
 *
 * Classic (runs without the lean patch): one recordEvent per event; record returns the write
 * chain up to its event, and callers await it. Lean: the events of one transition (those
 * recorded inside `transition(fn)`, or a single record outside one) go in one recordEvents
 * call, with one registry snapshot, captured as the transition closes; transitions are written
 * in order, one call each, and only the last one queued carries its snapshot. record returns at
 * once: the caller goes on while the write follows, and waits for `recording` (every event so
 * far written) only where the order meets an effect outside the trail: before the workflow
 * completes, continues as new, or sends compensation requests. One call per transition, never
 * merging transitions that queue up, keeps the number of activities a run schedules
 * independent of how its workflow tasks were split into activations, so replay matches.
 * `recording` is the whole chain so far.
 */
export function createTrail(options: TrailOptions) {
  let seq = options.seq ?? 0;
  let recording: Promise<void> = Promise.resolve();
  const numbered = (type: string, fields: EventFields) => {
    seq += 1;
    return {
      eventId: `${options.idPrefix}:${seq}`,
      ...options.base,
      type,
      occurredAt: now(),
      ...fields,
      actor: fields.actor ?? 'rollgate',
    };
  };
  const classic = (type: string, fields: EventFields = {}): Promise<void> => {
    options.beforeRecord?.();
    const event = numbered(type, fields);
    const input: RecordEventInput = options.progress ? { event, progress: options.progress() } : { event };
    // An event is written even where Temporal's cancellation reached: a handler that records
    // after a cancellation requested through Temporal runs in the cancelled root scope, whose
    // activities would be refused, and the refusal would stop every event after it. Runs
    // recorded before the patch had their writes refused there, and replay keeps that.
    const write = () =>
      CancellationScope.current().consideredCancelled && patched(AUDIT_WRITE_OUTLIVES_CANCELLATION_PATCH)
        ? CancellationScope.nonCancellable(() => recordEvent(input))
        : recordEvent(input);
    recording = recording.then(write);
    return recording;
  };

  /**
   * A queued transition keeps the trace context it was recorded in (e.g. the sign-off Update's),
   * so that its write is traced there even when an earlier caller's drain schedules it. Setting
   * the context schedules no command: with tracing off it is a plain call.
   */
  const queued: Array<{ input: RecordEventsInput; trace: TraceContext }> = [];
  let writing = false;
  /** written is the number of the last event stored, on a lean trail. */
  let written = seq;
  let open: RecordEventsInput['events'] | undefined;
  /** drain writes the queued transitions in order; the snapshot goes with the last one queued. */
  const drain = async (): Promise<void> => {
    writing = true;
    try {
      for (let next = queued.shift(); next; next = queued.shift()) {
        const input: RecordEventsInput = queued.length > 0 ? { events: next.input.events } : next.input;
        await traceContext.with(next.trace, () => CancellationScope.nonCancellable(() => recordEvents(input)));
        written += next.input.events.length;
      }
    } finally {
      writing = false;
    }
  };
  const close = (events: RecordEventsInput['events']): void => {
    if (events.length === 0) return;
    options.beforeRecord?.();
    queued.push({ input: options.progress ? { events, progress: options.progress() } : { events }, trace: traceContext.active() });
    if (writing) return;
    recording = drain();
    // A write that fails (it retries without limit, so only a broken activity would) fails
    // whoever waits for `recording`; nobody else holds it.
    recording.catch(() => undefined);
  };
  const lean = (type: string, fields: EventFields = {}): Promise<void> => {
    const event = numbered(type, fields);
    if (open) open.push(event);
    else close([event]);
    return Promise.resolve();
  };
  /** transition runs fn, and writes every event it records (synchronously) in one call. */
  const transition = <T>(fn: () => T): T => {
    if (!options.lean || open) return fn();
    open = [];
    try {
      return fn();
    } finally {
      const events = open;
      open = undefined;
      close(events);
    }
  };
  return {
    record: options.lean ? lean : classic,
    transition,
    /** lean: record does not wait for the write (see createTrail). */
    lean: options.lean === true,
    get seq(): number {
      return seq;
    },
    /** written is the number of the last event stored: on a classic trail every caller waited for its write, so seq. */
    get written(): number {
      return options.lean ? written : seq;
    },
    get recording(): Promise<void> {
      return recording;
    },
  };
}

/**
 * createDeliveries starts webhook deliveries and keeps them, so a workflow can wait for them
 * at its end (or, for a while, before continuing as new). A failing receiver is retried and
 * recorded by the activity; its delivery counts as settled here and never fails the workflow.
 */
export function createDeliveries() {
  const started: Promise<unknown>[] = [];
  return {
    /** deliver starts one delivery of event per target, in target order, and returns them. */
    deliver(rolloutId: string, event: WebhookEvent, targets: ReadonlyArray<{ target: WebhookTarget; deliveryId: string }>): Promise<WebhookDeliveryResult>[] {
      const sent = targets.map(({ target, deliveryId }) => deliverWebhook({ deliveryId, rolloutId, target, event }));
      started.push(...sent.map((delivery) => delivery.catch(() => undefined)));
      return sent;
    },
    /** settled waits for every delivery started so far. */
    settled: (): Promise<unknown[]> => Promise.all(started),
  };
}

/** NotificationFields is what a notification says besides its type and the rollout: the stage, what to do, by when, details. */
export interface NotificationFields {
  stageId?: string;
  action?: string;
  dueBy?: string;
  detail?: Record<string, unknown>;
}

export interface NotifierOptions {
  /** idPrefix starts every delivery id, `<idPrefix>:<sequence>:<target index>`. */
  idPrefix: string;
  /** targets are the plan's notification targets; each hears the events it asks for (all when it names none). */
  targets: readonly NotificationTarget[];
  /** base is what every notification carries after its type, sequence and time, read as it is sent. */
  base: () => { rolloutId: string; plan: string; version: number; stageId?: string; state: string; site?: string };
  /** seq is the number of the last notification an earlier run sent (continue-as-new); 0 on the first run. */
  seq?: number;
}

/**
 * createNotifier sends a workflow's notifications to every target that wants them. Deliveries
 * are not awaited where they are sent, so a failing receiver never blocks a state change; the
 * workflow waits for them with `settled`, and `send` returns them for a caller that must wait
 * for its own (compensation).
 */
export function createNotifier(options: NotifierOptions) {
  let seq = options.seq ?? 0;
  const deliveries = createDeliveries();
  /** send starts the deliveries of one event and returns them. */
  const send = (type: NotificationEvent, fields: NotificationFields = {}): Promise<WebhookDeliveryResult>[] => {
    seq += 1;
    // sequence orders events for receivers: deliveries run in parallel and may arrive out of order.
    const event = { type, sequence: seq, occurredAt: now(), ...options.base(), ...fields };
    const targets = options.targets.flatMap((target, index) =>
      target.events && !target.events.includes(type) ? [] : [{ target, deliveryId: `${options.idPrefix}:${seq}:${index}` }],
    );
    return deliveries.deliver(event.rolloutId, event, targets);
  };
  return {
    send,
    /** notify sends one event without waiting for its deliveries. */
    notify: (type: NotificationEvent, fields: NotificationFields = {}): void => {
      void send(type, fields);
    },
    settled: deliveries.settled,
    get seq(): number {
      return seq;
    },
  };
}
