import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { AuditEvent } from '../../contract/rollouts';
import { AUDIT_FEED_APPLICATION } from '../../db/audit-feed';
import { ContractCheck } from '../support/contract';
import { eventually, startHarness, type Harness } from '../support/harness';
import { REPO, tokenOf } from '../support/rollgate-cli';
import { planYaml, startRollout, waitForRollout } from '../support/rollouts';

/** GET /v1/rollouts/:id/events as server-sent events, against the real stack, and `rollgate events --follow` on it. */

jest.setTimeout(180_000);

let h: Harness;
let rolloutId: string;

beforeAll(async () => {
  h = await startHarness();
  rolloutId = await startRollout(h, planYaml('sse-plan', { pilot: [] }, '1h'), 'sse-1');
  await waitForRollout(h, rolloutId, 'running');
});
afterAll(() => h?.close());

/** EventStream is an open SSE response: what it received so far, and a way to close it. */
interface EventStream {
  status: number;
  contentType: string | null;
  messages: EventSourceMessage[];
  comments: string[];
  close(): void;
}

async function openStream(headers: Record<string, string>, query = ''): Promise<EventStream> {
  const stop = new AbortController();
  const response = await fetch(`${h.url}/v1/rollouts/${rolloutId}/events${query}`, {
    headers: { ...(await h.as('admin', ['admin'])), accept: 'text/event-stream', ...headers },
    signal: stop.signal,
  });
  const stream: EventStream = { status: response.status, contentType: response.headers.get('content-type'), messages: [], comments: [], close: () => stop.abort() };
  const parser = createParser({ onEvent: (message) => stream.messages.push(message), onComment: (comment) => stream.comments.push(comment) });
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  })().catch(() => undefined);
  return stream;
}

const seqs = (stream: EventStream) => stream.messages.map((message) => Number(message.id));
const untilEvent = (stream: EventStream, type: string) =>
  eventually(async () => (stream.messages.some((message) => message.event === type) ? true : undefined), `${type} on the stream`);

describe('the event stream of a rollout', () => {
  it('sends the trail so far, then the events recorded after it opened, each as the page has it', async () => {
    const stream = await openStream({});
    try {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toMatch(/^text\/event-stream/);
      await untilEvent(stream, 'rollout.started');
      expect((await h.http('POST', `/v1/rollouts/${rolloutId}/pause`, { reason: 'line 2 is cleaned' })).status).toBe(200);
      await untilEvent(stream, 'rollout.paused');

      const page = await h.http('GET', `/v1/rollouts/${rolloutId}/events?limit=500`);
      const paused = stream.messages.find((message) => message.event === 'rollout.paused')!;
      const data = JSON.parse(paused.data);
      expect(AuditEvent.safeParse(data).success).toBe(true);
      expect(data).toEqual(page.body.events.find((event: { type: string }) => event.type === 'rollout.paused'));
      expect(Number(paused.id)).toBe(data.seq);
      expect(seqs(stream)).toEqual(page.body.events.map((event: { seq: number }) => event.seq));
    } finally {
      stream.close();
    }
  });

  it('resumes after Last-Event-ID (or ?after=) without loss or duplicates', async () => {
    const page = await h.http('GET', `/v1/rollouts/${rolloutId}/events?limit=500`);
    const all: number[] = page.body.events.map((event: { seq: number }) => event.seq);
    expect(all.length).toBeGreaterThan(1);
    const first = all[0]!;

    const resumed = await openStream({ 'last-event-id': String(first) }, '?after=0');
    const byQuery = await openStream({}, `?after=${first}`);
    try {
      expect((await h.http('POST', `/v1/rollouts/${rolloutId}/resume`, {})).status).toBe(200);
      await untilEvent(resumed, 'rollout.resumed');
      await untilEvent(byQuery, 'rollout.resumed');
      const now = (await h.http('GET', `/v1/rollouts/${rolloutId}/events?limit=500`)).body.events.map((event: { seq: number }) => event.seq);
      expect(seqs(resumed)).toEqual(now.slice(1));
      expect(seqs(byQuery)).toEqual(now.slice(1));
    } finally {
      resumed.close();
      byQuery.close();
    }
  });

  it('delivers what was recorded while its listening connection was lost, once the API listens again', async () => {
    const stream = await openStream({});
    try {
      await untilEvent(stream, 'rollout.resumed');
      const before = stream.messages.length;
      const { rows } = await h.pool.query(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
        [AUDIT_FEED_APPLICATION],
      );
      expect(rows).toEqual([{ ended: true }]);
      expect((await h.http('POST', `/v1/rollouts/${rolloutId}/pause`, { reason: 'while nobody listens' })).status).toBe(200);
      await eventually(async () => (stream.messages.slice(before).some((message) => message.event === 'rollout.paused') ? true : undefined), 'the pause after the loss');
      expect((await h.http('POST', `/v1/rollouts/${rolloutId}/resume`, {})).status).toBe(200);
      await eventually(async () => (stream.messages.slice(before).some((message) => message.event === 'rollout.resumed') ? true : undefined), 'the resume after the loss');
      const all = (await h.http('GET', `/v1/rollouts/${rolloutId}/events?limit=500`)).body.events.map((event: { seq: number }) => event.seq);
      expect(seqs(stream)).toEqual(all);
    } finally {
      stream.close();
    }
  });

  it('needs a token, and refuses a Last-Event-ID that is no seq', async () => {
    const missing = await h.http('GET', `/v1/rollouts/${rolloutId}/events`, undefined, { authorization: '', accept: 'text/event-stream' });
    expect(missing.status).toBe(401);
    const bogus = await h.http('GET', `/v1/rollouts/${rolloutId}/events`, undefined, { accept: 'text/event-stream', 'last-event-id': 'yesterday' });
    expect(bogus.status).toBe(422);
    expect(bogus.body.errors[0].path).toBe('Last-Event-ID');
    expect((await h.http('GET', '/v1/rollouts/no-such-rollout/events', undefined, { accept: 'text/event-stream' })).status).toBe(404);
  });

  it('is the media type the OpenAPI document gives the 200 answer', () => {
    expect(new ContractCheck().problems('GET', `/v1/rollouts/${rolloutId}/events`, 200, 'text/event-stream; charset=utf-8', 'id: 1\n')).toEqual([]);
  });

  it('lets rollgate events --follow print an event recorded while it runs, and end with the rollout', async () => {
    const configHome = mkdtempSync(join(tmpdir(), 'rollgate-sse-'));
    const child = spawn(process.execPath, ['cli/bin.js', 'events', rolloutId, '--follow'], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: configHome, ROLLGATE_URL: h.url, ROLLGATE_TOKEN: tokenOf(await h.as('lena', ['deployment-lead'])) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await eventually(async () => (/\trollout\.resumed\t/.test(stdout) ? true : undefined), `the trail so far from rollgate (stderr: ${stderr})`, 60_000);
      expect(stdout).not.toMatch(/\trollout\.aborted\t/);
      expect((await h.http('POST', `/v1/rollouts/${rolloutId}/abort`, { reason: 'the follow test ends it' })).status).toBe(200);
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/\trollout\.aborted\t.*the follow test ends it/);
      const lines = stdout.trim().split('\n');
      expect(new Set(lines).size).toBe(lines.length);
    } finally {
      child.kill();
      rmSync(configHome, { recursive: true, force: true });
    }
  });
});
