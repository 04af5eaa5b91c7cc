// fleetlet's MQTT topics: one versioned subtree per device (`fleetlet/v1/dev/{deviceId}/...`),
// each topic's direction, retain flag, QoS and payload as data, builders, a parser, and the ACL
// that confines a device to its own subtree.

import { filterCovers } from './capabilities.ts';
import { DEVICE_ID_PATTERN, APP_NAME_PATTERN, matchesWhole } from './names.ts';

/** The namespace root; the version changes only if the topic layout does. */
export const TOPIC_ROOT = 'fleetlet/v1';

export type TopicDirection = 'cloud-to-device' | 'device-to-cloud';

export interface TopicSpec {
  /** Below `fleetlet/v1/dev/{deviceId}/`. */
  readonly suffix: string;
  readonly direction: TopicDirection;
  /** Published with the MQTT retain flag (the broker keeps the last one for new subscribers). */
  readonly retained: boolean;
  readonly qos: 0 | 1;
  /** What the payload is. */
  readonly payload: string;
  readonly summary: string;
}

function topic(suffix: string, direction: TopicDirection, retained: boolean, qos: 0 | 1, payload: string, summary: string): TopicSpec {
  return { suffix, direction, retained, qos, payload, summary };
}

const C2D: TopicDirection = 'cloud-to-device';
const D2C: TopicDirection = 'device-to-cloud';

/** Every per-device topic. */
export const TOPICS = {
  desiredState: topic('state', C2D, true, 1, 'desiredState in COSE_Sign1', 'the signed set of modules the device should run'),
  trust: topic('trust', C2D, true, 1, 'trustUpdate in COSE_Sign', 'the signed set of keys the device trusts'),
  command: topic('cmd', C2D, false, 1, 'command', 'an operator command (restart a module, report status ...)'),
  commandResult: topic('cmd/result', D2C, false, 1, 'commandResult', 'the outcome of a command, by command id'),
  status: topic('status', D2C, true, 1, 'status', 'what the device runs and why'),
  presence: topic('presence', D2C, true, 1, 'presence', 'online, or offline by the MQTT Last Will'),
  events: topic('events', D2C, false, 1, 'event', 'things that happened, each with an idempotency key'),
  telemetry: topic('telemetry', D2C, false, 1, 'telemetry', 'numeric readings, each report with an idempotency key'),
  logs: topic('logs', D2C, false, 0, 'logBatch', 'module log lines'),
  chunkRequest: topic('chunk/req', D2C, false, 1, 'chunkRequest', 'a byte range of a module, by digest and request id'),
  chunkResponse: topic('chunk/res', C2D, false, 1, 'chunkResponse', 'the bytes asked for, by request id'),
  enrollRequest: topic('enroll/req', D2C, false, 1, 'enrollmentRequest', 'a new device asks to join'),
  enrollResponse: topic('enroll/res', C2D, false, 1, 'enrollmentResponse', 'the answer, with the starting trust update'),
  app: topic('app/{module}/{subtopic}', D2C, false, 1, 'bytes the module chose', 'what a module publishes (its publish capability filters the subtopic)'),
} as const satisfies Record<string, TopicSpec>;

export type TopicName = keyof typeof TOPICS;
export type FixedTopicName = Exclude<TopicName, 'app'>;

/** Stable reasons (tests match on them; never rename one). */
export type TopicErrorCode = 'not-fleetlet' | 'bad-device-id' | 'unknown-topic' | 'bad-app-topic';

/** A topic that is not one of fleetlet's, or names a device or module badly. */
export class TopicError extends Error {
  override readonly name = 'TopicError';
  constructor(
    readonly code: TopicErrorCode,
    readonly topic: string,
    detail: string,
  ) {
    super(`Invalid topic "${topic}": ${detail}`);
  }
}

/**
 * @throws TopicError "bad-device-id" when the id is not a device id (no "+", "#", "/")
 */
function checkDeviceId(id: string, t: string): void {
  if (!matchesWhole(DEVICE_ID_PATTERN, id)) throw new TopicError('bad-device-id', t, `"${id}" is not a device id (1 to 64 letters, digits, ".", "_", ":", "-")`);
}

function checkSubtopic(sub: string, t: string): void {
  const ok = sub.length > 0 && Buffer.byteLength(sub) <= 128 && sub.split('/').every((l) => /^[A-Za-z0-9._-]+$/.test(l));
  if (!ok) throw new TopicError('bad-app-topic', t, `"${sub}" is not a subtopic (levels of letters, digits, ".", "_", "-"; at most 128 bytes)`);
}

/** The device's subtree, `fleetlet/v1/dev/{deviceId}`. */
export function deviceRoot(deviceId: string): string {
  const root = `${TOPIC_ROOT}/dev/${deviceId}`;
  checkDeviceId(deviceId, root);
  return root;
}

/**
 * The topic of one fixed per-device topic.
 * @throws TopicError "bad-device-id"
 */
export function topicFor(name: FixedTopicName, deviceId: string): string {
  return `${deviceRoot(deviceId)}/${TOPICS[name].suffix}`;
}

/**
 * The topic a module publishes to: `fleetlet/v1/dev/{deviceId}/app/{module}/{subtopic}`.
 * @throws TopicError "bad-device-id" or "bad-app-topic"
 */
export function appTopic(deviceId: string, module: string, subtopic: string): string {
  const t = `${deviceRoot(deviceId)}/app/${module}/${subtopic}`;
  if (!matchesWhole(APP_NAME_PATTERN, module)) throw new TopicError('bad-app-topic', t, `"${module}" is not an app name`);
  checkSubtopic(subtopic, t);
  return t;
}

export type ParsedTopic =
  | { readonly name: FixedTopicName; readonly deviceId: string }
  | { readonly name: 'app'; readonly deviceId: string; readonly module: string; readonly subtopic: string };

const BY_SUFFIX = new Map<string, FixedTopicName>(
  (Object.keys(TOPICS) as TopicName[]).filter((n): n is FixedTopicName => n !== 'app').map((n) => [TOPICS[n].suffix, n]),
);

/**
 * Parses a concrete topic (no wildcards) into its name and device.
 * @throws TopicError with the reason
 */
export function parseTopic(t: string): ParsedTopic {
  const prefix = `${TOPIC_ROOT}/dev/`;
  if (!t.startsWith(prefix)) throw new TopicError('not-fleetlet', t, `it does not start with "${prefix}"`);
  const rest = t.slice(prefix.length);
  const slash = rest.indexOf('/');
  const deviceId = slash < 0 ? rest : rest.slice(0, slash);
  checkDeviceId(deviceId, t);
  const suffix = slash < 0 ? '' : rest.slice(slash + 1);
  const fixed = BY_SUFFIX.get(suffix);
  if (fixed !== undefined) return { name: fixed, deviceId };
  if (suffix.startsWith('app/')) {
    const after = suffix.slice(4);
    const s2 = after.indexOf('/');
    const module = s2 < 0 ? after : after.slice(0, s2);
    if (!matchesWhole(APP_NAME_PATTERN, module)) throw new TopicError('bad-app-topic', t, `"${module}" is not an app name`);
    if (s2 < 0) throw new TopicError('bad-app-topic', t, 'it has no subtopic after the module');
    const subtopic = after.slice(s2 + 1);
    checkSubtopic(subtopic, t);
    return { name: 'app', deviceId, module, subtopic };
  }
  throw new TopicError('unknown-topic', t, `"${suffix}" is not a fleetlet topic`);
}

/** What one MQTT client may publish to and subscribe to, as topic filters. */
export interface Acl {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

const SUFFIXES_BY_DIRECTION = (d: TopicDirection, exclude: readonly TopicName[] = []): string[] =>
  (Object.keys(TOPICS) as TopicName[])
    .filter((n) => TOPICS[n].direction === d && !exclude.includes(n))
    .map((n) => (n === 'app' ? 'app/#' : TOPICS[n].suffix));

/**
 * An enrolled device's ACL: it publishes the device-to-cloud topics and subscribes to the
 * cloud-to-device ones, all in its own subtree only.
 * @throws TopicError "bad-device-id"
 */
export function deviceAcl(deviceId: string): Acl {
  const root = deviceRoot(deviceId);
  return {
    publish: SUFFIXES_BY_DIRECTION(D2C).map((s) => `${root}/${s}`),
    subscribe: SUFFIXES_BY_DIRECTION(C2D).map((s) => `${root}/${s}`),
  };
}

/**
 * A device that is not enrolled yet: it may only ask to enroll and hear the answer.
 * @throws TopicError "bad-device-id"
 */
export function enrollmentAcl(deviceId: string): Acl {
  const root = deviceRoot(deviceId);
  return { publish: [`${root}/${TOPICS.enrollRequest.suffix}`], subscribe: [`${root}/${TOPICS.enrollResponse.suffix}`] };
}

/** The cloud's ACL: everything under the namespace. */
export function cloudAcl(): Acl {
  return { publish: [`${TOPIC_ROOT}/#`], subscribe: [`${TOPIC_ROOT}/#`] };
}

/** True when `topic` (a concrete topic) is allowed by `acl` for publishing. */
export function mayPublish(acl: Acl, t: string): boolean {
  if (t.includes('+') || t.includes('#')) return false;
  return acl.publish.some((f) => filterCovers(f, t));
}

/** True when every topic `filter` can match is allowed by `acl` for subscribing. */
export function maySubscribe(acl: Acl, filter: string): boolean {
  return acl.subscribe.some((f) => filterCovers(f, filter));
}
