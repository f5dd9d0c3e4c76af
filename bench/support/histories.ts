import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** HistoryFigures is what one workflow's history holds: events, encoded bytes, and activities by type. */
export interface HistoryFigures {
  events: number;
  /** bytes is the history's protobuf encoding, as the server stores and a replaying worker receives it. */
  bytes: number;
  /** activities counts the ActivityTaskScheduled events by activity type. */
  activities: Record<string, number>;
  /** upserts counts UpsertWorkflowSearchAttributes events. */
  upserts: number;
}

/** readHistory fetches a workflow's history (its latest run) through the Temporal client and counts it. */
export async function readHistory(client: Client, workflowId: string): Promise<HistoryFigures> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const activities: Record<string, number> = {};
  let upserts = 0;
  for (const event of events) {
    const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (type) activities[type] = (activities[type] ?? 0) + 1;
    if (event.upsertWorkflowSearchAttributesEventAttributes) upserts += 1;
  }
  return { events: events.length, bytes: temporal.api.history.v1.History.encode(history).finish().length, activities, upserts };
}

/** sumHistories adds up the figures of many histories. */
export function sumHistories(all: readonly HistoryFigures[]): HistoryFigures {
  const total: HistoryFigures = { events: 0, bytes: 0, activities: {}, upserts: 0 };
  for (const figures of all) {
    total.events += figures.events;
    total.bytes += figures.bytes;
    total.upserts += figures.upserts;
    for (const [type, n] of Object.entries(figures.activities)) total.activities[type] = (total.activities[type] ?? 0) + n;
  }
  return total;
}
