// The CloudStore logic shared by SqliteStore and PostgresStore: every method as SQL that both databases accept,
// over the SqlDriver seam (the fleet registry, enrollment, status, telemetry and events are in _sql-fleet.ts; here
// releases, rollouts, the audit log and leases). Writes that must agree across cloud processes are single
// conditional statements (INSERT ... ON CONFLICT, UPDATE ... WHERE), so they hold on a PostgreSQL shared by several
// processes.
import type { SqlDriver } from './_driver.ts';
import { decodeCursor, pageLimit, toPage } from './_paging.ts';
import { auditFromRow, decisionFromRow, desiredStateFromRow, leaseFromRow, num, releaseFromRow, rolloutFromRow, rolloutRequestFromRow, targetFromRow } from './_rows.ts';
import { SqlFleetStore } from './_sql-fleet.ts';
import { bindValue } from './_driver.ts';
import { BATCH, checkMs, checkTtl, isoJson, notFound, whereSql, type SqlStoreOptions } from './_sql-util.ts';
import { StoreError } from './errors.ts';
import type { CloudStore } from './store.ts';
import type {
  AuditEntry, DesiredStateRecord, Lease, NewRollout, Page, PageQuery, ReleaseRecord, RolloutDecision, RolloutRecord,
  RolloutRequestRecord, RolloutState, RolloutTarget, TargetState,
} from './types.ts';

export type { SqlStoreOptions } from './_sql-util.ts';

export class SqlStore extends SqlFleetStore implements CloudStore {
  readonly #clock: () => number;

  protected constructor(db: SqlDriver, options: SqlStoreOptions = {}) {
    super(db, options);
    this.#clock = options.clock ?? Date.now;
  }

  // Releases.

  async putRelease(r: ReleaseRecord): Promise<boolean> {
    checkMs('release time', r.createdAtMs);
    const n = await this.db.run(
      `INSERT INTO releases (manifest_digest, module_digest, name, version, sequence, size_bytes, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (manifest_digest) DO NOTHING`,
      [r.manifestDigest, r.moduleDigest, r.name, r.version, r.sequence, r.sizeBytes, r.createdAtMs],
    );
    return n === 1;
  }

  async getRelease(manifestDigest: string): Promise<ReleaseRecord | undefined> {
    const rows = await this.db.all('SELECT * FROM releases WHERE manifest_digest = ?', [manifestDigest]);
    return rows.length === 0 ? undefined : releaseFromRow(rows[0]!);
  }

  async listReleases(query: PageQuery & { readonly name?: string } = {}): Promise<Page<ReleaseRecord>> {
    const limit = pageLimit(query.limit);
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.cursor !== undefined) {
      const [name, seq, digest] = decodeCursor(query.cursor, ['string', 'number', 'string']);
      where.push('(name > ? OR (name = ? AND (sequence < ? OR (sequence = ? AND manifest_digest > ?))))');
      params.push(name, name, seq, seq, digest);
    }
    if (query.name !== undefined) {
      where.push('name = ?');
      params.push(query.name);
    }
    const rows = await this.db.all(`SELECT * FROM releases ${whereSql(where)} ORDER BY name, sequence DESC, manifest_digest LIMIT ${limit + 1}`, params);
    return toPage(rows, limit, releaseFromRow, (r) => [String(r.name), num(r.sequence), String(r.manifest_digest)]);
  }

  // Rollouts.

  async createRollout(r: NewRollout): Promise<RolloutRecord> {
    checkMs('rollout time', r.atMs);
    if (r.version !== undefined && (!Number.isSafeInteger(r.version) || r.version < 0)) throw new StoreError('bad-value', `Cannot create rollout "${r.rolloutId}" at version ${r.version}: need an integer >= 0`);
    return this.db.tx(async (q) => {
      if ((await q.all('SELECT 1 AS one FROM releases WHERE manifest_digest = ?', [r.manifestDigest])).length === 0) throw notFound('release', r.manifestDigest);
      const rows = await q.all(
        `INSERT INTO rollouts (rollout_id, manifest_digest, state, spec, created_by, created_at_ms, updated_at_ms, version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rollout_id) DO NOTHING RETURNING *`,
        [r.rolloutId, r.manifestDigest, r.state ?? 'created', isoJson(r.spec), r.createdBy, r.atMs, r.atMs, r.version ?? 1],
      );
      if (rows.length === 0) throw new StoreError('conflict', `Cannot create rollout "${r.rolloutId}": the id is taken`);
      return rolloutFromRow(rows[0]!);
    });
  }

  async getRollout(rolloutId: string): Promise<RolloutRecord | undefined> {
    const rows = await this.db.all('SELECT * FROM rollouts WHERE rollout_id = ?', [rolloutId]);
    return rows.length === 0 ? undefined : rolloutFromRow(rows[0]!);
  }

  async listRollouts(query: PageQuery & { readonly state?: RolloutState } = {}): Promise<Page<RolloutRecord>> {
    return this.newestFirst('rollouts', [['state', query.state]], query, rolloutFromRow);
  }

  async updateRollout(rolloutId: string, expectedVersion: number, change: { readonly state?: RolloutState; readonly spec?: unknown; readonly atMs: number; readonly version?: number }): Promise<RolloutRecord> {
    checkMs('rollout time', change.atMs);
    const version = change.version ?? expectedVersion + 1;
    if (!Number.isSafeInteger(version) || version <= expectedVersion) throw new StoreError('bad-value', `Cannot update rollout "${rolloutId}" to version ${version}: it must be above ${expectedVersion}`);
    const sets = ['version = ?', 'updated_at_ms = ?'];
    const params: unknown[] = [version, change.atMs];
    if (change.state !== undefined) {
      sets.push('state = ?');
      params.push(change.state);
    }
    if (change.spec !== undefined) {
      sets.push('spec = ?');
      params.push(isoJson(change.spec));
    }
    const rows = await this.db.all(`UPDATE rollouts SET ${sets.join(', ')} WHERE rollout_id = ? AND version = ? RETURNING *`, [...params, rolloutId, expectedVersion]);
    if (rows.length === 1) return rolloutFromRow(rows[0]!);
    const now = await this.getRollout(rolloutId);
    if (now === undefined) throw notFound('rollout', rolloutId);
    throw new StoreError('conflict', `Cannot update rollout "${rolloutId}": it is at version ${now.version}, not ${expectedVersion} (changed by another process)`);
  }

  async addTargets(rolloutId: string, targets: readonly { readonly deviceId: string; readonly wave: number }[], atMs: number): Promise<void> {
    checkMs('rollout time', atMs);
    await this.db.tx(async (q) => {
      if ((await q.all('SELECT 1 AS one FROM rollouts WHERE rollout_id = ?', [rolloutId])).length === 0) throw notFound('rollout', rolloutId);
      for (let i = 0; i < targets.length; i += BATCH) {
        const batch = targets.slice(i, i + BATCH);
        await q.run(
          `INSERT INTO rollout_targets (rollout_id, device_id, wave, state, detail, updated_at_ms)
           VALUES ${batch.map(() => "(?, ?, ?, 'waiting', NULL, ?)").join(', ')} ON CONFLICT (rollout_id, device_id) DO NOTHING`,
          batch.flatMap((t) => [rolloutId, t.deviceId, t.wave, atMs]),
        );
      }
    });
  }

  async setTargetState(rolloutId: string, deviceId: string, state: TargetState, atMs: number, detail?: string): Promise<void> {
    checkMs('target time', atMs);
    const n = await this.db.run('UPDATE rollout_targets SET state = ?, detail = ?, updated_at_ms = ? WHERE rollout_id = ? AND device_id = ?', [state, detail ?? null, atMs, rolloutId, deviceId]);
    if (n === 0) throw notFound('rollout target', `${rolloutId}/${deviceId}`);
  }

  async listTargets(rolloutId: string, query: PageQuery & { readonly state?: TargetState; readonly wave?: number } = {}): Promise<Page<RolloutTarget>> {
    const limit = pageLimit(query.limit);
    const where = ['rollout_id = ?'];
    const params: unknown[] = [rolloutId];
    if (query.cursor !== undefined) {
      const [wave, device] = decodeCursor(query.cursor, ['number', 'string']);
      where.push('(wave > ? OR (wave = ? AND device_id > ?))');
      params.push(wave, wave, device);
    }
    if (query.state !== undefined) {
      where.push('state = ?');
      params.push(query.state);
    }
    if (query.wave !== undefined) {
      where.push('wave = ?');
      params.push(query.wave);
    }
    const rows = await this.db.all(`SELECT * FROM rollout_targets ${whereSql(where)} ORDER BY wave, device_id LIMIT ${limit + 1}`, params);
    return toPage(rows, limit, targetFromRow, (r) => [num(r.wave), String(r.device_id)]);
  }

  async countTargets(rolloutId: string, wave?: number): Promise<Partial<Record<TargetState, number>>> {
    const rows = await this.db.all(
      `SELECT state, COUNT(*) AS n FROM rollout_targets WHERE rollout_id = ?${wave === undefined ? '' : ' AND wave = ?'} GROUP BY state`,
      wave === undefined ? [rolloutId] : [rolloutId, wave],
    );
    return Object.fromEntries(rows.map((r) => [String(r.state), num(r.n)]));
  }

  async recordDecision(d: RolloutDecision): Promise<void> {
    checkMs('decision time', d.atMs);
    await this.db.run('INSERT INTO rollout_decisions (rollout_id, at_ms, decision, reason, actor) VALUES (?, ?, ?, ?, ?)', [d.rolloutId, d.atMs, d.decision, d.reason, d.actor]);
  }

  async listDecisions(rolloutId: string, query: PageQuery = {}): Promise<Page<RolloutDecision>> {
    const limit = pageLimit(query.limit);
    const params: unknown[] = [rolloutId];
    let after = '';
    if (query.cursor !== undefined) {
      after = ' AND id > ?';
      params.push(decodeCursor(query.cursor, ['number'])[0]);
    }
    const rows = await this.db.all(`SELECT * FROM rollout_decisions WHERE rollout_id = ?${after} ORDER BY id LIMIT ${limit + 1}`, params);
    return toPage(rows, limit, decisionFromRow, (r) => [num(r.id)]);
  }

  // Desired states.

  async getDesiredState(deviceId: string): Promise<DesiredStateRecord | undefined> {
    const rows = await this.db.all('SELECT * FROM desired_states WHERE device_id = ?', [deviceId]);
    return rows.length === 0 ? undefined : desiredStateFromRow(rows[0]!);
  }

  async putDesiredState(d: Omit<DesiredStateRecord, 'trust'>, expectedSequence: number | undefined): Promise<boolean> {
    checkMs('desired-state time', d.updatedAtMs);
    if (!Number.isSafeInteger(d.sequence) || d.sequence < (expectedSequence ?? 0)) {
      throw new StoreError('bad-value', `Cannot store desired state ${d.sequence} of device "${d.deviceId}": need an integer >= ${expectedSequence ?? 0}`);
    }
    const values = [d.sequence, JSON.stringify(d.modules), d.signed, d.updatedAtMs].map(bindValue);
    if (expectedSequence === undefined) {
      const n = await this.db.run(
        'INSERT INTO desired_states (device_id, sequence, modules, signed, trust, updated_at_ms) VALUES (?, ?, ?, ?, NULL, ?) ON CONFLICT (device_id) DO NOTHING',
        [d.deviceId, ...values],
      );
      return n === 1;
    }
    const n = await this.db.run('UPDATE desired_states SET sequence = ?, modules = ?, signed = ?, updated_at_ms = ? WHERE device_id = ? AND sequence = ?', [...values, d.deviceId, expectedSequence]);
    return n === 1;
  }

  async setDesiredTrust(deviceId: string, trust: Uint8Array, atMs: number): Promise<void> {
    checkMs('trust time', atMs);
    await this.db.run(
      `INSERT INTO desired_states (device_id, sequence, modules, signed, trust, updated_at_ms) VALUES (?, 0, '[]', NULL, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET trust = excluded.trust`,
      [deviceId, trust, atMs].map(bindValue),
    );
  }

  async listDesiredStates(query: PageQuery = {}): Promise<Page<DesiredStateRecord>> {
    return this.byDeviceId('desired_states', [], query, desiredStateFromRow);
  }

  async useEnrollmentToken(tokenHash: string, deviceId: string, atMs: number): Promise<boolean> {
    checkMs('token time', atMs);
    const n = await this.db.run('INSERT INTO enrollment_tokens_used (token_hash, device_id, used_at_ms) VALUES (?, ?, ?) ON CONFLICT (token_hash) DO NOTHING', [tokenHash, deviceId, atMs]);
    return n === 1;
  }

  // Rollout requests.

  async putRolloutRequest(r: RolloutRequestRecord): Promise<boolean> {
    checkMs('rollout time', r.createdAtMs);
    const n = await this.db.run(
      'INSERT INTO rollout_requests (rollout_id, created_by, request, created_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (rollout_id) DO NOTHING',
      [r.rolloutId, r.createdBy, isoJson(r.request), r.createdAtMs],
    );
    return n === 1;
  }

  async getRolloutRequest(rolloutId: string): Promise<RolloutRequestRecord | undefined> {
    const rows = await this.db.all('SELECT * FROM rollout_requests WHERE rollout_id = ?', [rolloutId]);
    return rows.length === 0 ? undefined : rolloutRequestFromRow(rows[0]!);
  }

  // Audit log.

  async audit(e: AuditEntry): Promise<void> {
    checkMs('audit time', e.atMs);
    await this.db.run('INSERT INTO audit_log (at_ms, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)', [e.atMs, e.actor, e.action, e.subject, e.detail === undefined ? null : isoJson(e.detail)]);
  }

  async listAudit(query: PageQuery & { readonly actor?: string } = {}): Promise<Page<AuditEntry>> {
    return this.newestFirst('audit_log', [['actor', query.actor]], query, auditFromRow);
  }

  // Leases.

  async tryAcquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    checkTtl(ttlMs);
    const now = this.#clock();
    // One statement: on PostgreSQL the unique index serialises racing processes, and the loser's WHERE sees the winner's row.
    const rows = await this.db.all(
      `INSERT INTO leases (name, holder, expires_at_ms, token) VALUES (?, ?, ?, 1)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms,
         token = CASE WHEN leases.holder = excluded.holder AND leases.expires_at_ms > ? THEN leases.token ELSE leases.token + 1 END
       WHERE leases.holder = excluded.holder OR leases.expires_at_ms <= ?
       RETURNING holder, expires_at_ms, token`,
      [name, holder, now + ttlMs, now, now],
    );
    return rows.length === 0 ? undefined : leaseFromRow(name, rows[0]!);
  }

  async renewLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    checkTtl(ttlMs);
    const now = this.#clock();
    const rows = await this.db.all(
      'UPDATE leases SET expires_at_ms = ? WHERE name = ? AND holder = ? AND expires_at_ms > ? RETURNING holder, expires_at_ms, token',
      [now + ttlMs, name, holder, now],
    );
    return rows.length === 0 ? undefined : leaseFromRow(name, rows[0]!);
  }

  async releaseLease(name: string, holder: string): Promise<boolean> {
    // The row stays (expired) so that the fencing token keeps rising for the next holder.
    const now = this.#clock();
    return (await this.db.run('UPDATE leases SET expires_at_ms = 0 WHERE name = ? AND holder = ? AND expires_at_ms > ?', [name, holder, now])) === 1;
  }

  async getLease(name: string): Promise<Lease | undefined> {
    const rows = await this.db.all('SELECT holder, expires_at_ms, token FROM leases WHERE name = ? AND expires_at_ms > ?', [name, this.#clock()]);
    return rows.length === 0 ? undefined : leaseFromRow(name, rows[0]!);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
