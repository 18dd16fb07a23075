import type { ServiceInstance } from '../stack/serviceInstance.ts';
import type { Card } from './cards.ts';
import type { Recorder } from './requests.ts';
import type { Tokens } from './tokens.ts';

/**
 * The clients: users upload cards at a steady rate (open loop: a slow answer does not slow the
 * next upload), plus a burst before each fault, and poll each accepted document's verdict until it
 * is decided; reviewers read the review queue and decide two documents in three, every other one
 * of them by three reviewers at once on both instances (exactly one may win, the others get 409).
 */
export type LoadSettings = {
  uploadsPerSecond: number;
  pollMs: number;
  reviewEveryMs: number;
};

/** A review decision as sent and as answered. */
export type DecisionAttempt = { reviewer: string; decision: 'approve' | 'reject'; status: number | null; ok: boolean };
export type ReviewRecord = { documentId: string; race: boolean; attempts: DecisionAttempt[] };

export type Load = {
  /** Documents whose upload was answered 202, with their owner. */
  accepted: Map<string, string>;
  reviews: ReviewRecord[];
  /** Sends `count` uploads at once, on top of the steady rate: a backlog for the next fault to hit. */
  burst(count: number): void;
  /** Stops making requests and waits for those in flight (each ends within the client timeout). */
  stop(): Promise<void>;
};

const RACE_SIZE = 3;
const QUEUE_PAGE = 100;

export function startLoad(deps: {
  instances: readonly ServiceInstance[];
  recorder: Recorder;
  tokens: Tokens;
  cards: readonly Card[];
  settings: LoadSettings;
}): Load {
  const { instances, recorder, tokens, cards, settings } = deps;
  const accepted = new Map<string, string>();
  const reviews: ReviewRecord[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const seenInReview = new Set<string>();
  let stopped = false;
  let uploads = 0;

  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    work.finally(() => inFlight.delete(work)).catch(() => {});
    return work;
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const upload = async () => {
    const index = uploads++;
    const card = cards[index % cards.length] as Card;
    const user = tokens.users[index % tokens.users.length] as Tokens['users'][number];
    const form = new FormData();
    form.append('type', card.type);
    form.append('file', new Blob([new Uint8Array(card.image)], { type: 'image/jpeg' }), 'card.jpg');
    const { sample, body } = await recorder.request('upload', recorder.pick(instances), '/documents/upload', {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}` },
      body: form,
    });
    if (sample.status !== 202) return;
    const id = (body as { id?: unknown })?.id;
    if (typeof id !== 'string') return;
    accepted.set(id, user.id);
    await pollVerdict(id, user.token);
  };

  const pollVerdict = async (id: string, token: string) => {
    while (!stopped) {
      await sleep(settings.pollMs);
      if (stopped) return;
      const { body } = await recorder.request('verification', recorder.pick(instances), `/verification/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const verdict = (body as { verdict?: unknown })?.verdict;
      if (typeof verdict === 'string' && verdict !== 'pending') return;
    }
  };

  const decide = (documentId: string, reviewer: Tokens['reviewers'][number], decision: 'approve' | 'reject') =>
    recorder
      .request('decision', recorder.pick(instances), `/internal/reviews/${documentId}/decision`, {
        method: 'POST',
        headers: { authorization: `Bearer ${reviewer.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ decision, reason: `Synthetic fault run: ${reviewer.id} chose ${decision}.` }),
        conflictExpected: true,
      })
      .then(
        ({ sample }): DecisionAttempt => ({
          reviewer: reviewer.id,
          decision,
          status: sample.status,
          ok: sample.status === 200,
        }),
      );

  const review = async () => {
    const reviewer = tokens.reviewers[0] as Tokens['reviewers'][number];
    const { sample, body } = await recorder.request(
      'review queue',
      recorder.pick(instances),
      `/internal/reviews?limit=${QUEUE_PAGE}`,
      { headers: { authorization: `Bearer ${reviewer.token}` } },
    );
    if (sample.status !== 200) return;
    const items = (body as { items?: { id?: unknown }[] })?.items ?? [];
    for (const item of items) {
      if (typeof item.id !== 'string' || seenInReview.has(item.id)) continue;
      const documentId = item.id;
      const turn = seenInReview.size % 3;
      seenInReview.add(documentId);
      // One in three stays in review: a document need not be decided by a human within the run.
      if (turn === 2) continue;
      const race = turn === 0;
      const deciders = race ? tokens.reviewers.slice(0, RACE_SIZE) : [reviewer];
      const record: ReviewRecord = { documentId, race, attempts: [] };
      reviews.push(record);
      record.attempts = await Promise.all(
        deciders.map((who, index) => decide(documentId, who, index % 2 === 0 ? 'approve' : 'reject')),
      );
    }
  };

  const uploadTimer = setInterval(() => {
    if (!stopped) track(upload());
  }, 1000 / settings.uploadsPerSecond);
  const reviewLoop = track(
    (async () => {
      while (!stopped) {
        await sleep(settings.reviewEveryMs);
        if (!stopped) await review();
      }
    })(),
  );

  return {
    accepted,
    reviews,
    burst(count) {
      for (let index = 0; index < count && !stopped; index++) track(upload());
    },
    async stop() {
      stopped = true;
      clearInterval(uploadTimer);
      await reviewLoop;
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
