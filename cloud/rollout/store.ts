// What the rollout engine needs of storage: load and save a RolloutRecord by id with compare-and-set on its revision,
// and list the rollouts still in progress. Any store (cloud/store's SQLite or PostgreSQL, a file) can implement it;
// an in-memory one here serves tests and the laptop demo. Also the load-step-save-act helper and restart recovery.

import { RolloutError } from './errors.ts';
import { resumeActions, step } from './engine.ts';
import { parseRecord, serialiseRecord, type RolloutAction, type RolloutEvent, type RolloutRecord, type RolloutState, type StepResult } from './record.ts';

export interface RolloutStore {
  /** The stored record, or undefined when there is none with this id. */
  load(id: string): Promise<RolloutRecord | undefined>;
  /**
   * Writes the record durably (all or nothing), but only when the stored revision is `expectedRevision` (undefined:
   * no record yet); false when another writer got there first.
   */
  save(record: RolloutRecord, expectedRevision: number | undefined): Promise<boolean>;
  /** Ids of the rollouts not in a final state (completed, aborted, rolled-back). */
  listActive(): Promise<string[]>;
}

const FINAL: readonly RolloutState[] = ['completed', 'aborted', 'rolled-back'];

/** Keeps each record as its JSON text, so whatever it holds has survived serialisation. */
export class MemoryRolloutStore implements RolloutStore {
  readonly #texts = new Map<string, string>();

  async load(id: string): Promise<RolloutRecord | undefined> {
    const t = this.#texts.get(id);
    return t === undefined ? undefined : parseRecord(t);
  }

  async save(record: RolloutRecord, expectedRevision: number | undefined): Promise<boolean> {
    const t = this.#texts.get(record.id);
    const stored = t === undefined ? undefined : parseRecord(t).revision;
    if (stored !== expectedRevision) return false;
    this.#texts.set(record.id, serialiseRecord(record));
    return true;
  }

  async listActive(): Promise<string[]> {
    return [...this.#texts].filter(([, t]) => !FINAL.includes(parseRecord(t).state)).map(([id]) => id);
  }
}

/**
 * Loads a rollout, steps it, saves the new record (persist before acting), and returns the actions to carry out.
 * Retries once on a concurrent write. A refused command comes back as `{ ok: false }`.
 * @throws RolloutError 'bad-record' when the rollout is unknown or its record unreadable
 */
export async function applyEvent(store: RolloutStore, id: string, event: RolloutEvent): Promise<StepResult> {
  for (let attempt = 0; ; attempt++) {
    const record = await store.load(id);
    if (record === undefined) throw new RolloutError('bad-record', 'No such rollout', id);
    const result = step(record, event);
    if (!result.ok || result.record === record) return result;
    if (await store.save(result.record, record.revision)) return result;
    if (attempt >= 1) throw new RolloutError('bad-record', 'Cannot save the rollout: it keeps changing under this writer', id);
  }
}

/**
 * Loads a rollout once, steps it through `events` in order, saves the new record once (persist before acting), and
 * returns every action of the events that changed it. Device reports and ticks reach a rollout in bursts (a wave of
 * devices answering at once); stepping a burst on one load and one save keeps the cost per report from growing with
 * the rollout's size (the record holds every target). Events the engine refuses (a report of a device that is not a
 * target) are skipped. Retries once on a concurrent write, stepping every event again on the newer record.
 * @throws RolloutError 'bad-record' when the rollout is unknown or its record unreadable
 */
export async function applyEvents(store: RolloutStore, id: string, events: readonly RolloutEvent[]): Promise<{ readonly record: RolloutRecord; readonly actions: readonly RolloutAction[] }> {
  for (let attempt = 0; ; attempt++) {
    const loaded = await store.load(id);
    if (loaded === undefined) throw new RolloutError('bad-record', 'No such rollout', id);
    let record = loaded;
    const actions: RolloutAction[] = [];
    for (const event of events) {
      const result = step(record, event);
      if (!result.ok || result.record === record) continue;
      record = result.record;
      actions.push(...result.actions);
    }
    if (record === loaded) return { record, actions };
    if (await store.save(record, loaded.revision)) return { record, actions };
    if (attempt >= 1) throw new RolloutError('bad-record', 'Cannot save the rollout: it keeps changing under this writer', id);
  }
}

/** After a cloud restart: every active rollout's record and the publishes to repeat (see `resumeActions`). */
export async function recoverRollouts(store: RolloutStore): Promise<{ record: RolloutRecord; actions: RolloutAction[] }[]> {
  const out: { record: RolloutRecord; actions: RolloutAction[] }[] = [];
  for (const id of await store.listActive()) {
    const record = await store.load(id);
    if (record !== undefined) out.push({ record, actions: resumeActions(record) });
  }
  return out;
}
