// Backs cloud/rollout's RolloutStore with the cloud store: each rollout engine record is one row of `rollouts`
// (the record as `spec`, its state, and its revision as the row's version, so that a save is compare-and-set on the
// revision across every cloud process sharing the database).
import { parseRecord, serialiseRecord, type RolloutRecord, type RolloutStore } from '../rollout/index.ts';
import { StoreError } from './errors.ts';
import type { CloudStore } from './store.ts';
import type { RolloutState } from './types.ts';

const FINAL: readonly RolloutState[] = ['completed', 'aborted', 'rolled-back'];

export class CloudRolloutStore implements RolloutStore {
  readonly #store: CloudStore;
  readonly #createdBy: string;

  /** `createdBy`: who the audit and rollout lists name as the creator (the operator or the cloud process). */
  constructor(store: CloudStore, createdBy = 'rollout-engine') {
    this.#store = store;
    this.#createdBy = createdBy;
  }

  /** @throws RolloutError 'bad-record' when the stored record is not one this cloud reads */
  async load(id: string): Promise<RolloutRecord | undefined> {
    const row = await this.#store.getRollout(id);
    return row === undefined ? undefined : parseRecord(JSON.stringify(row.spec));
  }

  /**
   * Creates the row (`expectedRevision` undefined) or updates it if it is still at `expectedRevision`; false when
   * another writer got there first. The release must be in the store already (putRelease when the bundle came in).
   * @throws StoreError 'not-found' (release unknown), 'bad-value' (the record's revision is not above the expected one)
   */
  async save(record: RolloutRecord, expectedRevision: number | undefined): Promise<boolean> {
    const spec: unknown = JSON.parse(serialiseRecord(record));
    const state: RolloutState = record.state; // the engine's states are the store's
    if (expectedRevision !== undefined && record.revision <= expectedRevision) {
      // A record that is not a step beyond the one it replaces: refused when the stored one moved on, as any stale save.
      if ((await this.#store.getRollout(record.id))?.version !== expectedRevision) return false;
      throw new StoreError('bad-value', `Cannot save rollout "${record.id}" at revision ${record.revision}: it must be above the stored ${expectedRevision}`);
    }
    try {
      if (expectedRevision === undefined) {
        await this.#store.createRollout({ rolloutId: record.id, manifestDigest: record.release.manifestDigest, spec, createdBy: this.#createdBy, atMs: record.createdAtMs, state, version: record.revision });
      } else {
        await this.#store.updateRollout(record.id, expectedRevision, { state, spec, atMs: record.updatedAtMs, version: record.revision });
      }
      return true;
    } catch (e) {
      if (e instanceof StoreError && e.code === 'conflict') return false;
      if (e instanceof StoreError && e.code === 'not-found' && expectedRevision !== undefined) return false; // deleted meanwhile: not at that revision
      throw e;
    }
  }

  /** Ids of the rollouts not in a final state. */
  async listActive(): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#store.listRollouts({ limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
      for (const r of page.items) if (!FINAL.includes(r.state)) out.push(r.rolloutId);
      cursor = page.next;
    } while (cursor !== undefined);
    return out.reverse();
  }
}
