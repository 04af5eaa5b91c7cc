// Which cloud process drives rollouts: of several processes sharing one store, the one holding the lease named
// 'rollouts' runs the RolloutDriver; the others stand by and try to take the lease every `renewEveryMs`. The leader
// renews the lease and stops its driver as soon as a renewal fails or is late, before the lease could expire, so that
// two drivers never act at once (and each rollout save is compare-and-set on its revision, so a late write loses).

import type { CloudStore } from '../store/store.ts';
import type { Lease } from '../store/types.ts';
import type { RolloutDriver } from './driver.ts';
import type { RolloutStore } from './store.ts';

/** The lease the rollout leader holds. */
export const ROLLOUT_LEASE = 'rollouts';

export interface RolloutLeaderOptions {
  readonly store: CloudStore;
  /** This process's name in the lease (unique per process: host, pid and a random part). */
  readonly holder: string;
  /** How long a lease lasts without renewal; default 10 s. */
  readonly ttlMs?: number;
  /** How often the leader renews and a standby tries to take the lease; default ttlMs / 3. */
  readonly renewEveryMs?: number;
  /**
   * How long before the lease would expire the leader stops its driver when no renewal came back; default ttlMs / 5
   * (covers the clocks of the processes differing by that much, and the driver's stop).
   */
  readonly marginMs?: number;
  /**
   * Starts this process's driver (which recovers every active rollout from the store); give it
   * `leader.fence(rolloutStore)` as its store, so that a step it takes after the lease may have run out is not saved.
   */
  readonly startDriver: (leader: RolloutLeader) => Promise<RolloutDriver>;
  /** Told each time this process starts leading (its driver started) or stopped (its driver stopped). A throw is ignored. */
  readonly onChange?: (leading: boolean) => void;
  /** A store call or a driver start or stop that failed (the leader goes on). A throw is ignored. */
  readonly onError?: (error: Error) => void;
  /** Milliseconds for the local deadline (not the store's expiry); default Date.now. */
  readonly clock?: () => number;
}

/** A lease setting that cannot work ('bad-option'), or a rollout save refused because this process may no longer lead ('not-leading'). */
export class LeaderError extends Error {
  override readonly name = 'LeaderError';
  constructor(
    readonly code: 'bad-option' | 'not-leading',
    message: string,
  ) {
    super(message);
  }
}

/** Counts since start, for a dashboard or a test. */
export interface LeaderCounts {
  /** Times this process took the lease and started a driver. */
  elected: number;
  /** Times it stopped leading (renewal refused, failed or late, or stop). */
  demoted: number;
  /** Renewals that came back too late to count (the driver had already been stopped). */
  lateRenewals: number;
  /** Store calls or driver starts that failed. */
  errors: number;
}

export class RolloutLeader {
  readonly counts: LeaderCounts = { elected: 0, demoted: 0, lateRenewals: 0, errors: 0 };
  readonly #o: RolloutLeaderOptions;
  readonly #ttl: number;
  readonly #every: number;
  readonly #margin: number;
  readonly #clock: () => number;
  #driver: RolloutDriver | undefined;
  #lease: Lease | undefined;
  /** Local time after which the driver must not act: the lease's request time + ttl - margin. */
  #deadline = 0;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The round in flight (rounds never overlap). */
  #round: Promise<void> = Promise.resolve();
  /** Bumped on every demotion, so that a round that began before it does not act on a stale answer. */
  #epoch = 0;
  #stopped = false;

  private constructor(o: RolloutLeaderOptions) {
    this.#o = o;
    this.#ttl = o.ttlMs ?? 10_000;
    this.#every = o.renewEveryMs ?? Math.floor(this.#ttl / 3);
    this.#margin = o.marginMs ?? Math.floor(this.#ttl / 5);
    this.#clock = o.clock ?? Date.now;
    if (!Number.isSafeInteger(this.#ttl) || this.#ttl < 3) throw new LeaderError('bad-option', `Cannot lead with a lease of ${this.#ttl} ms: need a whole number >= 3`);
    if (!(this.#every >= 1 && this.#every + this.#margin < this.#ttl)) {
      throw new LeaderError('bad-option', `Cannot renew a ${this.#ttl} ms lease every ${this.#every} ms with ${this.#margin} ms to spare: renewEveryMs + marginMs must be below ttlMs`);
    }
  }

  /**
   * Takes part in the election: tries once at once (so a lone process leads when this resolves), then every
   * `renewEveryMs`. @throws LeaderError for a ttl, period and margin that do not fit
   */
  static async start(o: RolloutLeaderOptions): Promise<RolloutLeader> {
    const l = new RolloutLeader(o);
    await l.#schedule();
    l.#timer = setInterval(() => void l.#schedule(), l.#every);
    l.#timer.unref();
    return l;
  }

  /** Whether this process drives rollouts now. */
  get leading(): boolean {
    return this.#driver !== undefined;
  }

  /** This process's driver while it leads; undefined otherwise. */
  get driver(): RolloutDriver | undefined {
    return this.#driver;
  }

  /** The lease held (its fencing token grows with each new holder); undefined when not leading. */
  get lease(): Lease | undefined {
    return this.#driver === undefined ? undefined : this.#lease;
  }

  /**
   * `store` with every save refused (LeaderError 'not-leading') once this process's lease may have run out by its own
   * clock: after a pause of the whole process (a long GC, SIGSTOP, a suspended VM) the driver's timers can fire before
   * the leader's, and a step it takes then must not be saved, nor its publishes made (the driver acts only after a
   * save). Loads and listings pass through.
   */
  fence(store: RolloutStore): RolloutStore {
    return {
      load: (id) => store.load(id),
      listActive: () => store.listActive(),
      save: async (record, expectedRevision) => {
        this.#checkLease(record.id);
        // a save that began in time and lands late is still compare-and-set on the revision: it wins only if no other
        // driver stepped the rollout meanwhile, and then the actions that follow agree with the stored record
        return store.save(record, expectedRevision);
      },
    };
  }

  /** @throws LeaderError 'not-leading' when the local deadline has passed (or no lease is held) */
  #checkLease(rolloutId: string): void {
    if (this.#stopped || this.#deadline === 0 || this.#clock() >= this.#deadline) {
      throw new LeaderError('not-leading', `Cannot save rollout "${rolloutId}": process "${this.#o.holder}" may no longer hold the rollouts lease`);
    }
  }

  /** Who holds the lease now, as the store says (for a standby to name the leader). */
  async leader(): Promise<string | undefined> {
    return (await this.#o.store.getLease(ROLLOUT_LEASE))?.holder;
  }

  /** Stops taking part: stops the driver and gives the lease up, so a standby takes over at its next try. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#round;
    const held = this.#driver !== undefined;
    await this.#demote();
    if (held) await this.#o.store.releaseLease(ROLLOUT_LEASE, this.#o.holder).catch((e: unknown) => this.#error(e));
  }

  #schedule(): Promise<void> {
    this.#round = this.#round.then(() => (this.#stopped ? undefined : this.#step()));
    return this.#round;
  }

  async #step(): Promise<void> {
    const epoch = this.#epoch;
    const asked = this.#clock();
    let lease: Lease | undefined;
    try {
      lease = this.#driver === undefined
        ? await this.#o.store.tryAcquireLease(ROLLOUT_LEASE, this.#o.holder, this.#ttl)
        : await this.#o.store.renewLease(ROLLOUT_LEASE, this.#o.holder, this.#ttl);
    } catch (e) {
      this.#error(e);
      await this.#demote(); // cannot tell whether it still holds the lease: stop acting now
      return;
    }
    if (this.#stopped) return;
    const deadline = asked + this.#ttl - this.#margin;
    if (epoch !== this.#epoch || this.#clock() >= deadline) {
      this.counts.lateRenewals++;
      await this.#demote();
      return;
    }
    if (lease === undefined) {
      await this.#demote(); // refused: another process holds it (or this one's expired)
      return;
    }
    this.#lease = lease;
    this.#arm(deadline);
    if (this.#driver !== undefined) return;
    let driver: RolloutDriver;
    try {
      driver = await this.#o.startDriver(this);
    } catch (e) {
      this.#error(e);
      this.#disarm();
      await this.#o.store.releaseLease(ROLLOUT_LEASE, this.#o.holder).catch((x: unknown) => this.#error(x));
      return;
    }
    if (this.#stopped || epoch !== this.#epoch || this.#clock() >= this.#deadline) {
      await driver.stop().catch((e: unknown) => this.#error(e)); // the lease ran short while the driver started
      return;
    }
    this.#driver = driver;
    this.counts.elected++;
    this.#tell(true);
  }

  /** Stops the driver when `deadline` passes with no renewal in between (a store that hangs). */
  #arm(deadline: number): void {
    this.#deadline = deadline;
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = setTimeout(() => void this.#demote(), Math.max(0, deadline - this.#clock()));
    this.#deadlineTimer.unref();
  }

  #disarm(): void {
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    this.#deadline = 0;
  }

  async #demote(): Promise<void> {
    this.#epoch++;
    this.#disarm();
    const d = this.#driver;
    if (d === undefined) return;
    this.#driver = undefined;
    this.counts.demoted++;
    await d.stop().catch((e: unknown) => this.#error(e));
    this.#tell(false);
  }

  #tell(leading: boolean): void {
    try {
      this.#o.onChange?.(leading);
    } catch {
      // the caller's problem
    }
  }

  #error(e: unknown): void {
    this.counts.errors++;
    try {
      this.#o.onError?.(e instanceof Error ? e : new Error(String(e)));
    } catch {
      // the caller's problem
    }
  }
}
