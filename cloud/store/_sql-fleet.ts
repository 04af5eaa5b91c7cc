// Private to cloud/store: the first half of the shared SQL store: opening (migrations), the fleet registry,
// enrollment, module status, telemetry and events. SqlStore (sql-store.ts) adds releases, rollouts, the audit log
// and leases. Written in the SQL that SQLite and PostgreSQL both accept, over the SqlDriver seam.
import { bindValue, type SqlDriver, type SqlRunner } from './_driver.ts';
import { decodeCursor, MAX_LIMIT, pageLimit, toPage } from './_paging.ts';
import { deviceFromRow, enrollmentFromRow, eventFromRow, moduleStatusFromRow, num, telemetryFromRow } from './_rows.ts';
import { BATCH, checkMs, isoJson, notFound, whereSql, type SqlStoreOptions } from './_sql-util.ts';
import { StoreError } from './errors.ts';
import { forDialect, LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.ts';
import {
  DEFAULT_RETENTION, type DeviceRecord, type FleetSummary, type DeviceUpsert, type EnrollmentRecord, type EnrollmentState, type EventQuery,
  type EventRecord, type ModuleStatusRecord, type Page, type PageQuery, type Retention, type TelemetryPoint,
  type TelemetryQuery,
} from './types.ts';

export abstract class SqlFleetStore {
  protected readonly db: SqlDriver;
  protected readonly retention: Retention;

  protected constructor(db: SqlDriver, options: SqlStoreOptions) {
    this.db = db;
    this.retention = options.retention ?? DEFAULT_RETENTION;
  }

  /** Applies the migrations this database lacks, under a lock so that cloud processes starting together agree. @throws StoreError 'schema-too-new' */
  protected async migrate(): Promise<void> {
    await this.db.tx(async (q) => {
      await this.db.lockForMigration(q);
      await q.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)');
      const at = await currentVersion(q);
      if (at > LATEST_SCHEMA_VERSION) throw new StoreError('schema-too-new', `Cannot open the cloud store: its schema version ${at} is newer than this fleetlet's ${LATEST_SCHEMA_VERSION}`);
      for (const m of MIGRATIONS) {
        if (m.version <= at) continue;
        for (const s of m.statements) await q.run(forDialect(s, this.db.dialect));
        await q.run('INSERT INTO schema_version (version, applied_at_ms) VALUES (?, ?)', [m.version, Date.now()]);
      }
    });
  }

  async schemaVersion(): Promise<number> {
    return currentVersion(this.db);
  }

  // Fleet registry.

  async upsertDevice(d: DeviceUpsert): Promise<DeviceRecord> {
    checkMs('device time', d.atMs);
    const tags = d.tags === undefined ? null : JSON.stringify([...new Set(d.tags)].sort());
    const versions = d.schemaVersions === undefined ? null : JSON.stringify(d.schemaVersions);
    return this.db.tx(async (q) => {
      const rows = await q.all(
        `INSERT INTO devices (device_id, device_class, tags, agent_version, schema_versions, online, last_seen_ms, created_at_ms, retired_at_ms, report_seq)
         VALUES (?, ?, COALESCE(?, '[]'), ?, COALESCE(?, '{}'), 0, ?, ?, NULL, -1)
         ON CONFLICT (device_id) DO UPDATE SET device_class = excluded.device_class,
           tags = COALESCE(?, devices.tags), agent_version = COALESCE(excluded.agent_version, devices.agent_version),
           schema_versions = COALESCE(?, devices.schema_versions),
           last_seen_ms = CASE WHEN devices.last_seen_ms IS NULL OR devices.last_seen_ms < excluded.last_seen_ms THEN excluded.last_seen_ms ELSE devices.last_seen_ms END
         WHERE devices.retired_at_ms IS NULL
         RETURNING *`,
        [d.deviceId, d.deviceClass, tags, d.agentVersion ?? null, versions, d.atMs, d.atMs, tags, versions],
      );
      if (rows.length === 0) throw new StoreError('retired', `Cannot update device "${d.deviceId}": it is retired`);
      if (d.tags !== undefined) await writeTags(q, d.deviceId, d.tags);
      return deviceFromRow(rows[0]!);
    });
  }

  async getDevice(deviceId: string): Promise<DeviceRecord | undefined> {
    const rows = await this.db.all('SELECT * FROM devices WHERE device_id = ?', [deviceId]);
    return rows.length === 0 ? undefined : deviceFromRow(rows[0]!);
  }

  async listDevices(query: PageQuery & { readonly tag?: string; readonly deviceClass?: string; readonly includeRetired?: boolean } = {}): Promise<Page<DeviceRecord>> {
    const filters: [string, unknown][] = [['device_id IN (SELECT device_id FROM device_tags WHERE tag = ?)', query.tag], ['device_class = ?', query.deviceClass]];
    return this.byDeviceId('devices', filters, query, deviceFromRow, query.includeRetired === true ? [] : ['retired_at_ms IS NULL']);
  }

  async setTags(deviceId: string, tags: readonly string[]): Promise<void> {
    const sorted = [...new Set(tags)].sort();
    await this.db.tx(async (q) => {
      const n = await q.run('UPDATE devices SET tags = ? WHERE device_id = ?', [JSON.stringify(sorted), deviceId]);
      if (n === 0) throw notFound('device', deviceId);
      await writeTags(q, deviceId, sorted);
    });
  }

  async setPresence(deviceId: string, online: boolean, atMs: number): Promise<void> {
    checkMs('presence time', atMs);
    const n = await this.db.run(
      `UPDATE devices SET online = ?, last_seen_ms = CASE WHEN ? = 1 AND (last_seen_ms IS NULL OR last_seen_ms < ?) THEN ? ELSE last_seen_ms END
       WHERE device_id = ?`,
      [online ? 1 : 0, online ? 1 : 0, atMs, atMs, deviceId],
    );
    if (n === 0) throw notFound('device', deviceId);
  }

  async acceptReport(deviceId: string, sequence: number, atMs: number): Promise<boolean> {
    checkMs('report time', atMs);
    if (!Number.isSafeInteger(sequence) || sequence < 0) throw new StoreError('bad-value', `Cannot accept report ${sequence} of device "${deviceId}": the sequence must be an integer >= 0`);
    const n = await this.db.run(
      `UPDATE devices SET report_seq = ?,
         last_seen_ms = CASE WHEN last_seen_ms IS NULL OR last_seen_ms < ? THEN ? ELSE last_seen_ms END
       WHERE device_id = ? AND report_seq < ?`,
      [sequence, atMs, atMs, deviceId, sequence],
    );
    if (n === 1) return true;
    if ((await this.getDevice(deviceId)) === undefined) throw notFound('device', deviceId);
    return false;
  }

  async retireDevice(deviceId: string, atMs: number): Promise<void> {
    checkMs('retirement time', atMs);
    await this.db.tx(async (q) => {
      const found = await q.all('SELECT retired_at_ms FROM devices WHERE device_id = ?', [deviceId]);
      if (found.length === 0) throw notFound('device', deviceId);
      await q.run('UPDATE devices SET retired_at_ms = ?, online = 0 WHERE device_id = ? AND retired_at_ms IS NULL', [atMs, deviceId]);
      await q.run("UPDATE enrollments SET state = 'retired', password_hash = NULL, decided_at_ms = ? WHERE device_id = ? AND state <> 'retired'", [atMs, deviceId]);
    });
  }

  // Enrollment.

  async putEnrollment(e: EnrollmentRecord): Promise<void> {
    checkMs('request time', e.requestedAtMs);
    await this.db.run(
      `INSERT INTO enrollments (device_id, device_class, state, public_key, box_key, password_hash, requested_at_ms, decided_at_ms, confirmed_at_ms, note)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET device_class = excluded.device_class, state = excluded.state,
         public_key = excluded.public_key, box_key = excluded.box_key, password_hash = excluded.password_hash,
         requested_at_ms = excluded.requested_at_ms, decided_at_ms = excluded.decided_at_ms,
         confirmed_at_ms = excluded.confirmed_at_ms, note = excluded.note`,
      [e.deviceId, e.deviceClass, e.state, e.publicKey, e.boxKey, e.passwordHash, e.requestedAtMs, e.decidedAtMs, e.confirmedAtMs, e.note].map(bindValue),
    );
  }

  async getEnrollment(deviceId: string): Promise<EnrollmentRecord | undefined> {
    const rows = await this.db.all('SELECT * FROM enrollments WHERE device_id = ?', [deviceId]);
    return rows.length === 0 ? undefined : enrollmentFromRow(rows[0]!);
  }

  async listEnrollments(query: PageQuery & { readonly state?: EnrollmentState } = {}): Promise<Page<EnrollmentRecord>> {
    return this.byDeviceId('enrollments', [['state = ?', query.state]], query, enrollmentFromRow);
  }

  async setEnrollmentState(
    deviceId: string,
    change: { readonly state: EnrollmentState; readonly from?: readonly EnrollmentState[]; readonly atMs: number; readonly passwordHash?: Uint8Array; readonly note?: string },
  ): Promise<void> {
    checkMs('decision time', change.atMs);
    const from = change.from ?? [];
    const n = await this.db.run(
      `UPDATE enrollments SET state = ?, decided_at_ms = ?, password_hash = ?, note = COALESCE(?, note)
       WHERE device_id = ?${from.length > 0 ? ` AND state IN (${from.map(() => '?').join(', ')})` : ''}`,
      [change.state, change.atMs, change.state === 'accepted' ? change.passwordHash : null, change.note, deviceId, ...from].map(bindValue),
    );
    if (n === 1) return;
    const now = await this.getEnrollment(deviceId);
    if (now === undefined) throw notFound('enrollment', deviceId);
    throw new StoreError('conflict', `Cannot move the enrollment of device "${deviceId}" to ${change.state}: it is ${now.state}, not ${from.join(' or ')}`);
  }

  async confirmEnrollment(deviceId: string, atMs: number): Promise<void> {
    checkMs('confirmation time', atMs);
    const n = await this.db.run('UPDATE enrollments SET confirmed_at_ms = COALESCE(confirmed_at_ms, ?) WHERE device_id = ?', [atMs, deviceId]);
    if (n === 0) throw notFound('enrollment', deviceId);
  }

  async deleteEnrollment(deviceId: string): Promise<void> {
    await this.db.run('DELETE FROM enrollments WHERE device_id = ?', [deviceId]);
  }

  // Module status and telemetry.

  async putModuleStatus(s: ModuleStatusRecord): Promise<void> {
    checkMs('status time', s.updatedAtMs);
    await this.db.run(
      `INSERT INTO module_status (device_id, module, version, state, health, fuel_per_tick, memory_high_water, traps, recent_logs, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_id, module) DO UPDATE SET version = excluded.version, state = excluded.state,
         health = excluded.health, fuel_per_tick = excluded.fuel_per_tick, memory_high_water = excluded.memory_high_water,
         traps = excluded.traps, recent_logs = excluded.recent_logs, updated_at_ms = excluded.updated_at_ms
       WHERE module_status.updated_at_ms <= excluded.updated_at_ms`,
      [s.deviceId, s.module, s.version, s.state, s.health, s.fuelPerTick, s.memoryHighWater, s.traps, JSON.stringify(s.recentLogs), s.updatedAtMs].map(bindValue),
    );
  }

  async listModuleStatus(deviceId: string): Promise<readonly ModuleStatusRecord[]> {
    const rows = await this.db.all('SELECT * FROM module_status WHERE device_id = ? ORDER BY module', [deviceId]);
    return rows.map(moduleStatusFromRow);
  }

  async listModuleStatusOf(deviceIds: readonly string[]): Promise<readonly ModuleStatusRecord[]> {
    if (deviceIds.length > MAX_LIMIT) throw new StoreError('bad-limit', `Cannot read the module status of ${deviceIds.length} devices at once: at most ${MAX_LIMIT}`);
    const out: ModuleStatusRecord[] = [];
    for (let i = 0; i < deviceIds.length; i += BATCH) {
      const batch = deviceIds.slice(i, i + BATCH);
      const rows = await this.db.all(`SELECT * FROM module_status WHERE device_id IN (${batch.map(() => '?').join(', ')}) ORDER BY device_id, module`, batch);
      out.push(...rows.map(moduleStatusFromRow));
    }
    return out;
  }

  async fleetSummary(): Promise<FleetSummary> {
    const [counts] = await this.db.all(
      `SELECT SUM(CASE WHEN retired_at_ms IS NULL THEN 1 ELSE 0 END) AS devices,
         SUM(CASE WHEN retired_at_ms IS NULL AND online = 1 THEN 1 ELSE 0 END) AS online,
         SUM(CASE WHEN retired_at_ms IS NULL THEN 0 ELSE 1 END) AS retired FROM devices`,
    );
    const live = 'FROM module_status m JOIN devices d ON d.device_id = m.device_id WHERE d.retired_at_ms IS NULL';
    const versions: Record<string, Record<string, number>> = {};
    for (const r of await this.db.all(`SELECT m.module AS module, m.version AS version, COUNT(*) AS n ${live} GROUP BY m.module, m.version`)) {
      (versions[String(r.module)] ??= {})[String(r.version)] = num(r.n);
    }
    const health: Record<string, number> = {};
    for (const r of await this.db.all(`SELECT m.health AS health, COUNT(*) AS n ${live} GROUP BY m.health`)) health[String(r.health)] = num(r.n);
    const n = (v: unknown): number => (v === null || v === undefined ? 0 : num(v));
    return { devices: n(counts?.devices), online: n(counts?.online), retired: n(counts?.retired), versions, health };
  }

  async addTelemetry(points: readonly TelemetryPoint[]): Promise<void> {
    for (const p of points) {
      checkMs('telemetry time', p.atMs);
      if (!Number.isFinite(p.value)) throw new StoreError('bad-value', `Cannot store telemetry ${p.metric} of "${p.deviceId}": value ${p.value} is not finite`);
    }
    await this.db.tx(async (q) => {
      for (let i = 0; i < points.length; i += BATCH) {
        const batch = points.slice(i, i + BATCH);
        await q.run(
          `INSERT INTO telemetry (device_id, module, metric, at_ms, value) VALUES ${batch.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
          batch.flatMap((p) => [p.deviceId, p.module, p.metric, p.atMs, p.value]),
        );
      }
    });
  }

  async queryTelemetry(query: TelemetryQuery): Promise<Page<TelemetryPoint>> {
    const limit = pageLimit(query.limit);
    const where = ['device_id = ?'];
    const params: unknown[] = [query.deviceId];
    if (query.cursor !== undefined) {
      const [at, id] = decodeCursor(query.cursor, ['number', 'number']);
      where.push('(at_ms > ? OR (at_ms = ? AND id > ?))');
      params.push(at, at, id);
    }
    for (const [col, v] of [['module', query.module], ['metric', query.metric]] as const) {
      if (v === undefined) continue;
      where.push(`${col} = ?`);
      params.push(v);
    }
    if (query.fromMs !== undefined) {
      where.push('at_ms >= ?');
      params.push(query.fromMs);
    }
    if (query.toMs !== undefined) {
      where.push('at_ms < ?');
      params.push(query.toMs);
    }
    const rows = await this.db.all(`SELECT * FROM telemetry ${whereSql(where)} ORDER BY at_ms, id LIMIT ${limit + 1}`, params);
    return toPage(rows, limit, telemetryFromRow, (r) => [num(r.at_ms), num(r.id)]);
  }

  // Events.

  async addEvent(e: EventRecord): Promise<boolean> {
    checkMs('event time', e.atMs);
    const n = await this.db.run(
      'INSERT INTO events (device_id, event_id, kind, at_ms, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id, event_id) DO NOTHING',
      [e.deviceId, e.eventId, e.kind, e.atMs, isoJson(e.data)],
    );
    return n === 1;
  }

  async listEvents(query: EventQuery = {}): Promise<Page<EventRecord>> {
    return this.newestFirst('events', [['device_id', query.deviceId], ['kind', query.kind]], query, eventFromRow);
  }

  /**
   * One page of an append-only table with an `id` column, newest first, keeping rows whose columns equal the given
   * values (a filter whose value is undefined is left out). Table and column names come from this code, never a caller.
   */
  protected async newestFirst<T>(table: string, filters: readonly (readonly [string, unknown])[], query: PageQuery, fromRow: (r: Record<string, unknown>) => T): Promise<Page<T>> {
    const limit = pageLimit(query.limit);
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.cursor !== undefined) {
      where.push('id < ?');
      params.push(decodeCursor(query.cursor, ['number'])[0]);
    }
    for (const [column, value] of filters) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const rows = await this.db.all(`SELECT * FROM ${table} ${whereSql(where)} ORDER BY id DESC LIMIT ${limit + 1}`, params);
    return toPage(rows, limit, fromRow, (r) => [num(r.id)]);
  }

  /**
   * One page of a table keyed by `device_id`, in id order, keeping rows that meet each condition whose value is given
   * (a condition with an undefined value is left out) and every condition of `always`. The SQL fragments come from this
   * code, never a caller.
   */
  protected async byDeviceId<T>(table: string, filters: readonly (readonly [string, unknown])[], query: PageQuery, fromRow: (r: Record<string, unknown>) => T, always: readonly string[] = []): Promise<Page<T>> {
    const limit = pageLimit(query.limit);
    const where: string[] = [...always];
    const params: unknown[] = [];
    if (query.cursor !== undefined) {
      where.push('device_id > ?');
      params.push(decodeCursor(query.cursor, ['string'])[0]);
    }
    for (const [condition, value] of filters) {
      if (value === undefined) continue;
      where.push(condition);
      params.push(value);
    }
    const rows = await this.db.all(`SELECT * FROM ${table} ${whereSql(where)} ORDER BY device_id LIMIT ${limit + 1}`, params);
    return toPage(rows, limit, fromRow, (r) => [String(r.device_id)]);
  }

  async applyRetention(nowMs: number): Promise<{ readonly events: number; readonly telemetry: number }> {
    checkMs('retention time', nowMs);
    return this.db.tx(async (q) => ({
      events: await q.run('DELETE FROM events WHERE at_ms < ?', [nowMs - this.retention.eventsMs]),
      telemetry: await q.run('DELETE FROM telemetry WHERE at_ms < ?', [nowMs - this.retention.telemetryMs]),
    }));
  }
}

async function currentVersion(q: SqlRunner): Promise<number> {
  const rows = await q.all('SELECT MAX(version) AS v FROM schema_version');
  return rows[0]?.v === null || rows[0]?.v === undefined ? 0 : num(rows[0].v);
}

async function writeTags(q: SqlRunner, deviceId: string, tags: readonly string[]): Promise<void> {
  await q.run('DELETE FROM device_tags WHERE device_id = ?', [deviceId]);
  for (const tag of new Set(tags)) await q.run('INSERT INTO device_tags (device_id, tag) VALUES (?, ?)', [deviceId, tag]);
}
