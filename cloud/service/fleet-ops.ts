// `CloudFleetOps`: every FleetOps method over the cloud store and the running parts of one cloud process (enrollment,
// desired states, the rollout driver, the embedded broker). Each changing call writes one audit entry naming its actor;
// store and rollout errors become OpsError (views.ts). It holds no state of its own: several processes sharing one
// PostgreSQL answer alike.

import { randomBytes } from 'node:crypto';
import type { TrustStore } from '../../agent/update/trust-store.ts';
import { decodeBundle } from '../../agent/update/bundle.ts';
import { decodeSign1 } from '../../agent/update/cose.ts';
import { isRejected } from '../../agent/update/rejection.ts';
import { decodeManifest } from '../../schemas/messages/manifest.ts';
import type { BlobStore } from '../chunks/blob-store.ts';
import type { EnrollmentService } from '../enroll/service.ts';
import { resolveTargets } from '../rollout/plan.ts';
import { parseRecord, type Release, type RolloutRecord as EngineRecord } from '../rollout/record.ts';
import type { RolloutDriver } from '../rollout/driver.ts';
import type { VersionMetrics } from '../rollout/regression.ts';
import { CloudRolloutStore } from '../store/rollout-adapter.ts';
import type { CloudStore } from '../store/store.ts';
import type { AuditEntry, DeviceRecord, EnrollmentState, EventRecord, Page, PageQuery, ReleaseRecord, RolloutState, TelemetryPoint } from '../store/types.ts';
import type { StoreDesiredStates } from '../state/store-states.ts';
import {
  OpsError, type Actor, type CreateRolloutRequest, type DeviceDetail, type DeviceView, type EnrollmentView, type FleetOps,
  type FleetOverview, type LogLineView, type RolloutCommandName, type RolloutView,
} from './ops.ts';
import { deviceDetail, deviceInfo, deviceView, enrollmentView, opsErrorOf, rolloutView, TAG_PATTERN } from './views.ts';

export interface CloudFleetOpsDeps {
  readonly store: CloudStore;
  readonly blobs: BlobStore;
  /** The fleet's trust, as a device holds it: bundles are verified against it. */
  readonly verifier: TrustStore;
  readonly desired: StoreDesiredStates;
  readonly enrollment: EnrollmentService;
  /** The driver that leads rollouts in this process, or undefined when another process leads them. */
  readonly driver: () => RolloutDriver | undefined;
  /** Closes the device's broker connection (the embedded broker); resolves false when it was not connected here. */
  readonly disconnect: (deviceId: string) => Promise<boolean>;
  /** What the device's latest status report says of the app (the previous release, regression baselines). */
  readonly reported: (deviceId: string, app: string) => ReportedApp | undefined;
  readonly clock: () => number;
}

/** One app as a device's latest status report gives it. */
export interface ReportedApp {
  readonly version: string;
  /** Hex SHA-256 of the signed manifest the device runs. */
  readonly manifestDigest: string;
  /** While it runs healthy. */
  readonly metrics?: VersionMetrics;
}

/** The options of a rollout that its engine record does not hold, as stored with `putRolloutRequest`. */
interface StoredRequest {
  readonly rollbackRelease?: string;
  readonly autoRollback?: boolean;
}

const HEX64 = /^[0-9a-f]{64}$/;
const ROLLOUT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Every item of a paged list. */
async function all<T>(list: (q: PageQuery) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    out.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  return out;
}

export class CloudFleetOps implements FleetOps {
  readonly #d: CloudFleetOpsDeps;
  readonly #rollouts: CloudRolloutStore;

  constructor(deps: CloudFleetOpsDeps) {
    this.#d = deps;
    this.#rollouts = new CloudRolloutStore(deps.store);
  }

  /** Runs `f`, turning store and rollout errors into OpsError. */
  async #ops<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw opsErrorOf(e);
    }
  }

  async #audit(actor: Actor, action: string, subject: string, detail?: unknown): Promise<void> {
    const entry: AuditEntry = { atMs: this.#d.clock(), actor, action, subject, ...(detail === undefined ? {} : { detail }) };
    await this.#d.store.audit(entry);
  }

  async #device(deviceId: string): Promise<DeviceRecord> {
    const d = await this.#d.store.getDevice(deviceId);
    if (d === undefined) throw new OpsError('not-found', `Cannot find device "${deviceId}"`);
    return d;
  }

  overview(): Promise<FleetOverview> {
    return this.#ops(async () => {
      const summary = await this.#d.store.fleetSummary();
      const pending = (await all((q) => this.#d.store.listEnrollments({ ...q, state: 'pending' }))).length;
      return { ...summary, pending, activeRollouts: (await this.#rollouts.listActive()).length };
    });
  }

  listDevices(query: PageQuery & { readonly tag?: string; readonly includeRetired?: boolean } = {}): Promise<Page<DeviceView>> {
    return this.#ops(async () => {
      const page = await this.#d.store.listDevices(query);
      const modules = await this.#d.store.listModuleStatusOf(page.items.map((d) => d.deviceId));
      const items = await Promise.all(page.items.map(async (d) => deviceView(d, await this.#d.store.getEnrollment(d.deviceId), modules.filter((m) => m.deviceId === d.deviceId))));
      return { items, ...(page.next === undefined ? {} : { next: page.next }) };
    });
  }

  getDevice(deviceId: string): Promise<DeviceDetail> {
    return this.#ops(async () => {
      const d = await this.#device(deviceId);
      const [enrollment, modules, desired] = await Promise.all([this.#d.store.getEnrollment(deviceId), this.#d.store.listModuleStatus(deviceId), this.#d.store.getDesiredState(deviceId)]);
      return deviceDetail(d, enrollment, modules, desired);
    });
  }

  listEnrollments(query: PageQuery & { readonly state?: EnrollmentState } = {}): Promise<Page<EnrollmentView>> {
    return this.#ops(async () => {
      const page = await this.#d.store.listEnrollments(query);
      return { items: page.items.map(enrollmentView), ...(page.next === undefined ? {} : { next: page.next }) };
    });
  }

  acceptDevice(deviceId: string, actor: Actor): Promise<EnrollmentView> {
    return this.#ops(async () => {
      const e = await this.#d.store.getEnrollment(deviceId);
      if (e === undefined) throw new OpsError('not-found', `Cannot find an enrollment request of device "${deviceId}"`);
      if (e.state !== 'pending') throw new OpsError('conflict', `Cannot accept device "${deviceId}": its enrollment is ${e.state}, not pending`);
      const atMs = this.#d.clock();
      await this.#d.store.setEnrollmentState(deviceId, { state: 'accepted', from: ['pending'], atMs });
      await this.#d.store.upsertDevice({ deviceId, deviceClass: e.deviceClass, atMs });
      // Answer at once when the request waits in this process; otherwise the device's next request gets its credentials.
      if (this.#d.enrollment.hasPending(deviceId)) await this.#d.enrollment.accept(deviceId).catch(() => undefined);
      await this.#audit(actor, 'accept-device', deviceId, { deviceClass: e.deviceClass });
      return enrollmentView((await this.#d.store.getEnrollment(deviceId)) ?? e);
    });
  }

  refuseDevice(deviceId: string, actor: Actor, note?: string): Promise<EnrollmentView> {
    return this.#ops(async () => {
      if (note !== undefined && note.length > 500) throw new OpsError('bad-request', 'Cannot refuse with a note of more than 500 characters', 'note');
      const e = await this.#d.store.getEnrollment(deviceId);
      if (e === undefined) throw new OpsError('not-found', `Cannot find an enrollment request of device "${deviceId}"`);
      if (e.state !== 'pending') throw new OpsError('conflict', `Cannot refuse device "${deviceId}": its enrollment is ${e.state}, not pending`);
      await this.#d.store.setEnrollmentState(deviceId, { state: 'refused', from: ['pending'], atMs: this.#d.clock(), ...(note === undefined ? {} : { note }) });
      if (this.#d.enrollment.hasPending(deviceId)) await this.#d.enrollment.refuse(deviceId, 'refused', note).catch(() => undefined);
      await this.#audit(actor, 'refuse-device', deviceId, note === undefined ? undefined : { note });
      return enrollmentView((await this.#d.store.getEnrollment(deviceId)) ?? e);
    });
  }

  retireDevice(deviceId: string, actor: Actor): Promise<DeviceDetail> {
    return this.#ops(async () => {
      await this.#d.store.retireDevice(deviceId, this.#d.clock());
      await this.#audit(actor, 'retire-device', deviceId);
      await this.#d.enrollment.revoke(deviceId);
      try {
        // its password is gone from the store: closing the connection makes it log in again, and fail
        await this.#d.disconnect(deviceId);
        await this.#d.desired.clear(deviceId);
      } catch (e) {
        throw new OpsError('unavailable', `Device "${deviceId}" is retired, but its retained desired state could not be cleared (retire it again): ${(e as Error).message}`, undefined, { cause: e });
      }
      return this.getDevice(deviceId);
    });
  }

  setTags(deviceId: string, tags: readonly string[], actor: Actor): Promise<DeviceDetail> {
    return this.#ops(async () => {
      if (!Array.isArray(tags) || tags.length > 64) throw new OpsError('bad-request', 'Cannot set tags: give a list of at most 64 tags', 'tags');
      const bad = tags.find((t) => typeof t !== 'string' || !TAG_PATTERN.test(t));
      if (bad !== undefined) throw new OpsError('bad-request', `Cannot set tag "${String(bad)}": a tag is "key" or "key=value" (letters, digits, "_.:/-", up to 64 each)`, 'tags');
      const keys = tags.map((t) => t.split('=')[0]);
      const dup = keys.find((k, i) => keys.indexOf(k) !== i);
      if (dup !== undefined) throw new OpsError('bad-request', `Cannot set tags: key "${dup}" is given twice`, 'tags');
      await this.#d.store.setTags(deviceId, tags);
      await this.#audit(actor, 'set-tags', deviceId, { tags: [...tags] });
      return this.getDevice(deviceId);
    });
  }

  logs(deviceId: string, module?: string): Promise<readonly LogLineView[]> {
    return this.#ops(async () => {
      await this.#device(deviceId);
      const rows = await this.#d.store.listModuleStatus(deviceId);
      return rows.filter((r) => module === undefined || r.module === module).flatMap((r) => r.recentLogs.map((line) => ({ module: r.module, line })));
    });
  }

  telemetry(query: PageQuery & { readonly deviceId: string; readonly module?: string; readonly metric?: string; readonly fromMs?: number; readonly toMs?: number }): Promise<Page<TelemetryPoint>> {
    return this.#ops(async () => {
      await this.#device(query.deviceId);
      return this.#d.store.queryTelemetry(query);
    });
  }

  events(query: PageQuery & { readonly deviceId?: string; readonly kind?: string } = {}): Promise<Page<EventRecord>> {
    return this.#ops(() => this.#d.store.listEvents(query));
  }

  uploadBundle(bundle: Uint8Array, actor: Actor): Promise<ReleaseRecord> {
    return this.#ops(async () => {
      let verified;
      try {
        const { signedManifest } = decodeBundle(bundle);
        // the cloud is not a device: the target check is moot (the manifest's own first target is used)
        let deviceClass = 'cloud';
        try {
          deviceClass = decodeManifest(decodeSign1(signedManifest).payload).targets[0] ?? deviceClass;
        } catch {
          // verification below says what is wrong with it
        }
        verified = await this.#d.verifier.verifyBundle(bundle, { deviceId: 'cloud', deviceClass });
      } catch (e) {
        if (isRejected(e)) throw new OpsError('bad-request', `${e.message} (${e.code})`, 'bundle', { cause: e });
        throw e;
      }
      const m = verified.verified.manifest;
      await this.#d.blobs.put(verified.verified.signed);
      await this.#d.blobs.put(verified.module);
      const release: ReleaseRecord = {
        manifestDigest: hex(verified.verified.digest),
        moduleDigest: hex(m.digest),
        name: m.name,
        version: m.version,
        sequence: m.sequence,
        sizeBytes: verified.module.length,
        createdAtMs: this.#d.clock(),
      };
      const fresh = await this.#d.store.putRelease(release);
      await this.#audit(actor, 'upload-release', release.manifestDigest, { name: m.name, version: m.version, sequence: m.sequence, fresh });
      return fresh ? release : ((await this.#d.store.getRelease(release.manifestDigest)) ?? release);
    });
  }

  listReleases(query: PageQuery & { readonly name?: string } = {}): Promise<Page<ReleaseRecord>> {
    return this.#ops(() => this.#d.store.listReleases(query));
  }

  async #release(digest: unknown, field: string): Promise<ReleaseRecord> {
    if (typeof digest !== 'string' || !HEX64.test(digest)) throw new OpsError('bad-request', `Invalid ${field} "${String(digest)}": need a manifest digest of 64 lowercase hex digits`, field);
    const r = await this.#d.store.getRelease(digest);
    if (r === undefined) throw new OpsError('not-found', `Cannot find release ${digest}: upload its bundle first`, field);
    return r;
  }

  #driver(): RolloutDriver {
    const d = this.#d.driver();
    if (d === undefined) throw new OpsError('unavailable', 'No rollout driver runs in this cloud process now; try again shortly');
    return d;
  }

  createRollout(request: CreateRolloutRequest, actor: Actor): Promise<RolloutView> {
    return this.#ops(async () => {
      if (typeof request !== 'object' || request === null) throw new OpsError('bad-request', 'Cannot create a rollout: the request is not an object');
      const id = request.id ?? `r-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
      if (typeof id !== 'string' || !ROLLOUT_ID.test(id)) throw new OpsError('bad-request', `Invalid rollout id "${String(id)}": 1 to 64 letters, digits, ".", "_", "-"`, 'id');
      const release = await this.#release(request.release, 'release');
      const rollback = request.rollbackRelease === undefined ? undefined : await this.#release(request.rollbackRelease, 'rollbackRelease');
      if (rollback !== undefined && (rollback.name !== release.name || rollback.sequence <= release.sequence)) {
        throw new OpsError('bad-request', `Cannot roll back ${release.name} ${release.version} with ${rollback.name} ${rollback.version} (sequence ${rollback.sequence}): it must be the same app with a sequence above ${release.sequence}`, 'rollbackRelease');
      }
      if (request.autoRollback === true && rollback === undefined) throw new OpsError('bad-request', 'Cannot roll back automatically without a rollbackRelease', 'autoRollback');
      if (request.start !== undefined && typeof request.start !== 'boolean') throw new OpsError('bad-request', 'Invalid start: need true or false', 'start');
      const target = request.target as { kind?: unknown; deviceIds?: unknown; match?: unknown } | undefined;
      if (typeof target !== 'object' || target === null || !((target.kind === 'list' && Array.isArray(target.deviceIds)) || (target.kind === 'selector' && typeof target.match === 'object' && target.match !== null))) {
        throw new OpsError('bad-request', 'Invalid target: need { kind: "list", deviceIds: [...] } or { kind: "selector", match: {...} }', 'target');
      }
      const waves = request.waves as { kind?: unknown } | undefined;
      if (typeof waves !== 'object' || waves === null || !['fixed', 'percent', 'exponential'].includes(waves.kind as string)) {
        throw new OpsError('bad-request', 'Invalid waves: need kind "fixed", "percent" or "exponential"', 'waves');
      }
      if (request.policy !== undefined && (typeof request.policy !== 'object' || request.policy === null)) throw new OpsError('bad-request', 'Invalid policy: need an object', 'policy');
      const driver = this.#driver();
      if ((await this.#d.store.getRollout(id)) !== undefined) throw new OpsError('conflict', `Cannot create rollout "${id}": the id is taken`, 'id');
      const devices = (await all((q) => this.#d.store.listDevices(q))).map(deviceInfo);
      const targets = resolveTargets(request.target, devices);
      const previous = await this.#previous(release, targets);
      const baselines: Record<string, VersionMetrics & { version: string }> = {};
      if (previous !== undefined) {
        for (const t of targets) {
          const r = this.#d.reported(t, release.name);
          if (r?.metrics !== undefined && r.version === previous.version) baselines[t] = { ...r.metrics, version: r.version };
        }
      }
      const spec = {
        id,
        app: release.name,
        release: engineRelease(release),
        ...(previous === undefined ? {} : { previous }),
        target: request.target,
        waves: request.waves,
        ...(request.policy === undefined ? {} : { policy: request.policy }),
      };
      await driver.create(spec, devices, baselines);
      const stored: StoredRequest = { ...(rollback === undefined ? {} : { rollbackRelease: rollback.manifestDigest }), autoRollback: request.autoRollback === true };
      await this.#d.store.putRolloutRequest({ rolloutId: id, createdBy: actor, request: { ...request, id, ...stored }, createdAtMs: this.#d.clock() });
      await this.#audit(actor, 'create-rollout', id, { release: release.manifestDigest, app: release.name, version: release.version, targets: targets.length });
      if (request.start !== false) {
        const started = await driver.command(id, { type: 'start', by: actor });
        if (!started.ok) throw new OpsError('conflict', started.error.message);
        await this.#audit(actor, 'start-rollout', id);
      }
      return this.getRollout(id);
    });
  }

  /**
   * The release of the app that most targets run now: by the manifest digest their latest status reports name, or else
   * by the version their stored module status names (matched to an uploaded release of that version).
   */
  async #previous(release: ReleaseRecord, targets: readonly string[]): Promise<Release | undefined> {
    const digests = new Map<string, number>();
    for (const t of targets) {
      const r = this.#d.reported(t, release.name);
      if (r !== undefined && r.manifestDigest !== release.manifestDigest) digests.set(r.manifestDigest, (digests.get(r.manifestDigest) ?? 0) + 1);
    }
    for (const [digest] of [...digests].sort((a, b) => b[1] - a[1])) {
      const known = await this.#d.store.getRelease(digest);
      if (known !== undefined) return engineRelease(known);
    }
    const votes = new Map<string, number>();
    for (const t of targets) {
      const m = (await this.#d.store.listModuleStatus(t)).find((x) => x.module === release.name);
      if (m !== undefined && m.version !== release.version) votes.set(m.version, (votes.get(m.version) ?? 0) + 1);
    }
    const ranked = [...votes].sort((a, b) => b[1] - a[1]);
    for (const [version] of ranked) {
      const known = (await all((q) => this.#d.store.listReleases({ ...q, name: release.name }))).filter((r) => r.version === version);
      if (known.length > 0) return engineRelease(known.sort((a, b) => b.sequence - a.sequence)[0]!);
    }
    return undefined;
  }

  async #view(record: EngineRecord): Promise<RolloutView> {
    const req = await this.#d.store.getRolloutRequest(record.id);
    return rolloutView(record, req?.createdBy ?? 'cloud');
  }

  async #load(rolloutId: string): Promise<EngineRecord> {
    const row = await this.#d.store.getRollout(rolloutId);
    if (row === undefined) throw new OpsError('not-found', `Cannot find rollout "${rolloutId}"`);
    return parseRecord(JSON.stringify(row.spec));
  }

  listRollouts(query: PageQuery & { readonly state?: RolloutState } = {}): Promise<Page<RolloutView>> {
    return this.#ops(async () => {
      const page = await this.#d.store.listRollouts(query);
      const items = await Promise.all(page.items.map((row) => this.#view(parseRecord(JSON.stringify(row.spec)))));
      return { items, ...(page.next === undefined ? {} : { next: page.next }) };
    });
  }

  getRollout(rolloutId: string): Promise<RolloutView> {
    return this.#ops(async () => this.#view(await this.#load(rolloutId)));
  }

  commandRollout(rolloutId: string, command: RolloutCommandName, actor: Actor): Promise<RolloutView> {
    return this.#ops(async () => {
      const record = await this.#load(rolloutId);
      const driver = this.#driver();
      let result;
      if (command === 'roll-back' && (record.state === 'completed' || record.state === 'aborted' || record.state === 'rolled-back')) {
        // the driver no longer follows a finished rollout: a new rollout of the re-signed release does the same, watched
        throw new OpsError('conflict', `Cannot roll back rollout "${rolloutId}": it is ${record.state} and no longer driven; create a new rollout of the re-signed previous release instead`);
      }
      if (record.state === 'completed' || record.state === 'aborted' || record.state === 'rolled-back') {
        throw new OpsError('conflict', `Cannot ${command} rollout "${rolloutId}": it is ${record.state}, which is final; create a new rollout instead`);
      }
      if (command === 'roll-back') {
        const release = await this.rollbackReleaseOf(rolloutId);
        if (release === undefined) throw new OpsError('conflict', `Cannot roll back rollout "${rolloutId}": it was created without a rollbackRelease`);
        result = await driver.command(rolloutId, { type: 'roll-back', release, by: actor });
      } else if (command === 'start' || command === 'pause' || command === 'resume' || command === 'abort') {
        result = await driver.command(rolloutId, { type: command, by: actor });
      } else {
        throw new OpsError('bad-request', `Unknown rollout command "${String(command)}": start, pause, resume, abort or roll-back`, 'command');
      }
      if (!result.ok) throw new OpsError('conflict', result.error.message);
      await this.#audit(actor, `${command}-rollout`, rolloutId);
      return this.#view(result.record);
    });
  }

  /** The release a roll back of this rollout re-issues, if the operator gave one. */
  async rollbackReleaseOf(rolloutId: string): Promise<Release | undefined> {
    const req = (await this.#d.store.getRolloutRequest(rolloutId))?.request as StoredRequest | undefined;
    if (req?.rollbackRelease === undefined) return undefined;
    const r = await this.#d.store.getRelease(req.rollbackRelease);
    return r === undefined ? undefined : engineRelease(r);
  }

  /** Whether the operator asked the rollout to roll back by itself when it halts. */
  async autoRollback(rolloutId: string): Promise<boolean> {
    const req = (await this.#d.store.getRolloutRequest(rolloutId))?.request as StoredRequest | undefined;
    return req?.autoRollback === true && req.rollbackRelease !== undefined;
  }

  listAudit(query: PageQuery & { readonly actor?: string } = {}): Promise<Page<AuditEntry>> {
    return this.#ops(() => this.#d.store.listAudit(query));
  }
}

export function engineRelease(r: ReleaseRecord): Release {
  return { version: r.version, sequence: r.sequence, manifestDigest: r.manifestDigest };
}
