// Tests of fleetlet's topic layout: builders, the parser's refusals, and the ACL that keeps a
// device inside its own subtree.

import { describe, expect, it } from 'vitest';
import {
  appTopic,
  cloudAcl,
  deviceAcl,
  enrollmentAcl,
  mayPublish,
  maySubscribe,
  parseTopic,
  TopicError,
  topicFor,
  TOPICS,
  type FixedTopicName,
  type TopicErrorCode,
} from './topics.ts';

function topicError(f: () => unknown): TopicError {
  try {
    f();
  } catch (e) {
    if (e instanceof TopicError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('topics', () => {
  it.each<[FixedTopicName, string]>([
    ['desiredState', 'fleetlet/v1/dev/d1/state'],
    ['trust', 'fleetlet/v1/dev/d1/trust'],
    ['command', 'fleetlet/v1/dev/d1/cmd'],
    ['commandResult', 'fleetlet/v1/dev/d1/cmd/result'],
    ['status', 'fleetlet/v1/dev/d1/status'],
    ['presence', 'fleetlet/v1/dev/d1/presence'],
    ['events', 'fleetlet/v1/dev/d1/events'],
    ['telemetry', 'fleetlet/v1/dev/d1/telemetry'],
    ['logs', 'fleetlet/v1/dev/d1/logs'],
    ['chunkRequest', 'fleetlet/v1/dev/d1/chunk/req'],
    ['chunkResponse', 'fleetlet/v1/dev/d1/chunk/res'],
    ['enrollRequest', 'fleetlet/v1/dev/d1/enroll/req'],
    ['enrollResponse', 'fleetlet/v1/dev/d1/enroll/res'],
  ])('%s is %s, and parses back', (name, expected) => {
    expect(topicFor(name, 'd1')).toBe(expected);
    expect(parseTopic(expected)).toEqual({ name, deviceId: 'd1' });
  });

  it('retains exactly desired state, trust, status and presence', () => {
    const retained = (Object.keys(TOPICS) as (keyof typeof TOPICS)[]).filter((n) => TOPICS[n].retained).sort();
    expect(retained).toEqual(['desiredState', 'presence', 'status', 'trust']);
  });

  it('builds and parses app topics', () => {
    const t = appTopic('d1', 'thermostat', 'alerts/high');
    expect(t).toBe('fleetlet/v1/dev/d1/app/thermostat/alerts/high');
    expect(parseTopic(t)).toEqual({ name: 'app', deviceId: 'd1', module: 'thermostat', subtopic: 'alerts/high' });
  });

  it.each<[string, TopicErrorCode]>([
    ['fleetlet/v2/dev/d1/state', 'not-fleetlet'],
    ['other/v1/dev/d1/state', 'not-fleetlet'],
    ['fleetlet/v1/dev/+/state', 'bad-device-id'],
    ['fleetlet/v1/dev/#', 'bad-device-id'],
    ['fleetlet/v1/dev//state', 'bad-device-id'],
    ['fleetlet/v1/dev/d 1/state', 'bad-device-id'],
    ['fleetlet/v1/dev/d1/stat', 'unknown-topic'],
    ['fleetlet/v1/dev/d1', 'unknown-topic'],
    ['fleetlet/v1/dev/d1/state/x', 'unknown-topic'],
    ['fleetlet/v1/dev/d1/app/thermostat', 'bad-app-topic'],
    ['fleetlet/v1/dev/d1/app/Thermostat/x', 'bad-app-topic'],
    ['fleetlet/v1/dev/d1/app/thermostat/a/+', 'bad-app-topic'],
    ['fleetlet/v1/dev/d1/app/thermostat/a//b', 'bad-app-topic'],
  ])('parseTopic refuses "%s" with "%s"', (t, code) => {
    expect(topicError(() => parseTopic(t)).code).toBe(code);
  });

  it.each(['a+b', 'a#', 'a/b', '', 'x'.repeat(65)])('builders refuse the device id "%s"', (id) => {
    expect(topicError(() => topicFor('status', id)).code).toBe('bad-device-id');
  });

  it('appTopic refuses wildcards in the subtopic', () => {
    expect(topicError(() => appTopic('d1', 'm', 'a/#')).code).toBe('bad-app-topic');
  });
});

describe('ACL', () => {
  const acl = deviceAcl('d1');

  it.each<[string, boolean]>([
    ['fleetlet/v1/dev/d1/status', true],
    ['fleetlet/v1/dev/d1/presence', true],
    ['fleetlet/v1/dev/d1/events', true],
    ['fleetlet/v1/dev/d1/app/thermostat/alerts/high', true],
    ['fleetlet/v1/dev/d1/chunk/req', true],
    ['fleetlet/v1/dev/d1/state', false],
    ['fleetlet/v1/dev/d1/trust', false],
    ['fleetlet/v1/dev/d1/chunk/res', false],
    ['fleetlet/v1/dev/d2/status', false],
    ['fleetlet/v1/dev/d1/status/x', false],
    ['fleetlet/v1/dev/+/status', false],
  ])('device d1 may publish "%s": %s', (t, expected) => {
    expect(mayPublish(acl, t)).toBe(expected);
  });

  it.each<[string, boolean]>([
    ['fleetlet/v1/dev/d1/state', true],
    ['fleetlet/v1/dev/d1/trust', true],
    ['fleetlet/v1/dev/d1/cmd', true],
    ['fleetlet/v1/dev/d1/chunk/res', true],
    ['fleetlet/v1/dev/d1/status', false],
    ['fleetlet/v1/dev/d2/state', false],
    ['fleetlet/v1/dev/+/state', false],
    ['fleetlet/v1/dev/d1/#', false],
    ['fleetlet/v1/#', false],
  ])('device d1 may subscribe to "%s": %s', (f, expected) => {
    expect(maySubscribe(acl, f)).toBe(expected);
  });

  it('a device that is not enrolled may only ask to enroll', () => {
    const e = enrollmentAcl('d1');
    expect(mayPublish(e, 'fleetlet/v1/dev/d1/enroll/req')).toBe(true);
    expect(mayPublish(e, 'fleetlet/v1/dev/d1/status')).toBe(false);
    expect(maySubscribe(e, 'fleetlet/v1/dev/d1/enroll/res')).toBe(true);
    expect(maySubscribe(e, 'fleetlet/v1/dev/d1/state')).toBe(false);
  });

  it('the cloud may use the whole namespace', () => {
    expect(maySubscribe(cloudAcl(), 'fleetlet/v1/dev/+/status')).toBe(true);
    expect(mayPublish(cloudAcl(), 'fleetlet/v1/dev/d9/state')).toBe(true);
    expect(mayPublish(cloudAcl(), 'other/x')).toBe(false);
  });
});
