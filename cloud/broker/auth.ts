// The embedded broker's (aedes) authentication and authorization hooks: who may connect and, per client, which topics
// it may publish to and subscribe to, from the ACL helpers in schemas/topics.ts.
//   - an enrolled device: username = client id = device id and its broker password -> `deviceAcl(id)`;
//   - a client without credentials whose client id is a device id that may still enroll -> `enrollmentAcl(id)`;
//   - the cloud's own client (configured username and password) -> `cloudAcl()`;
//   - anyone else is refused at CONNECT.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { AedesOptions, Client } from 'aedes';
import { DEVICE_ID_PATTERN, matchesWhole } from '../../schemas/names.ts';
import { cloudAcl, deviceAcl, enrollmentAcl, mayPublish, maySubscribe, type Acl } from '../../schemas/topics.ts';

/** What the hooks ask about devices (the enrollment service answers). */
export interface DeviceAuthority {
  /** True when the password is the device's broker password (compared in constant time). */
  checkPassword(deviceId: string, password: Uint8Array): Promise<boolean>;
  /** True when a client without credentials may use this id to ask to enroll. */
  mayEnroll(deviceId: string): Promise<boolean>;
}

/** Why a client was turned away (for the cloud's log and for tests). */
export type AuthDenial =
  | { readonly kind: 'connect'; readonly clientId: string; readonly reason: 'bad-password' | 'client-id-mismatch' | 'not-a-device-id' | 'already-enrolled' | 'error' }
  | { readonly kind: 'publish'; readonly clientId: string; readonly topic: string }
  | { readonly kind: 'subscribe'; readonly clientId: string; readonly filter: string };

export interface BrokerAuthOptions {
  readonly devices: DeviceAuthority;
  /** The cloud's own login. */
  readonly cloud: { readonly username: string; readonly password: string };
  readonly onDenied?: (d: AuthDenial) => void;
}

/** The three aedes hooks, plus the ACL each connected client got. */
export interface BrokerAuth {
  readonly authenticate: NonNullable<AedesOptions['authenticate']>;
  readonly authorizePublish: NonNullable<AedesOptions['authorizePublish']>;
  readonly authorizeSubscribe: NonNullable<AedesOptions['authorizeSubscribe']>;
  aclOf(client: Client): Acl | undefined;
}

/** aedes's CONNACK return codes for refusals (MQTT 3.1.1 §3.2.2.3). */
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function refusal(code: number, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode: code });
}

const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest();

/** Constant-time equality of two secrets of any length (their hashes are compared). */
export function secretsEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** Builds the hooks; pass them to `Aedes.createBroker` (or `startAedes` in tests). */
export function brokerAuth(options: BrokerAuthOptions): BrokerAuth {
  const acls = new WeakMap<Client, Acl>();
  const deny = (d: AuthDenial): void => {
    try {
      options.onDenied?.(d);
    } catch {
      // a listener's bug never changes a decision
    }
  };

  async function decide(client: Client, username: string | undefined, password: Uint8Array | undefined): Promise<Acl | Error> {
    const id = client.id;
    if (username !== undefined && username.length > 0) {
      if (secretsEqual(username, options.cloud.username)) {
        if (password !== undefined && secretsEqual(password, options.cloud.password)) return cloudAcl();
        deny({ kind: 'connect', clientId: id, reason: 'bad-password' });
        return refusal(BAD_USERNAME_OR_PASSWORD, 'Bad username or password');
      }
      // A device logs in as itself only: another client id would let it take over another device's session.
      if (username !== id || !matchesWhole(DEVICE_ID_PATTERN, id)) {
        deny({ kind: 'connect', clientId: id, reason: 'client-id-mismatch' });
        return refusal(NOT_AUTHORIZED, 'Not authorized: a device connects with its id as client id and username');
      }
      if (password !== undefined && (await options.devices.checkPassword(id, password))) return deviceAcl(id);
      deny({ kind: 'connect', clientId: id, reason: 'bad-password' });
      return refusal(BAD_USERNAME_OR_PASSWORD, 'Bad username or password');
    }
    if (!matchesWhole(DEVICE_ID_PATTERN, id)) {
      deny({ kind: 'connect', clientId: id, reason: 'not-a-device-id' });
      return refusal(NOT_AUTHORIZED, 'Not authorized: a client without credentials must use a device id as client id');
    }
    if (!(await options.devices.mayEnroll(id))) {
      deny({ kind: 'connect', clientId: id, reason: 'already-enrolled' });
      return refusal(NOT_AUTHORIZED, `Not authorized: device "${id}" is enrolled and must log in`);
    }
    return enrollmentAcl(id);
  }

  return {
    authenticate(client, username, password, done) {
      decide(client, username ?? undefined, password ?? undefined).then(
        (r) => {
          if (r instanceof Error) return done(r as Parameters<typeof done>[0], false);
          acls.set(client, r);
          return done(null, true);
        },
        () => {
          deny({ kind: 'connect', clientId: client.id, reason: 'error' });
          done(refusal(NOT_AUTHORIZED, 'Not authorized') as Parameters<typeof done>[0], false);
        },
      );
    },
    authorizePublish(client, packet, done) {
      // No client: the broker itself (a retained message or a Last Will it already authorized).
      if (client === null) return done(null);
      const acl = acls.get(client);
      if (acl !== undefined && mayPublish(acl, packet.topic)) return done(null);
      deny({ kind: 'publish', clientId: client.id, topic: packet.topic });
      return done(new Error(`Not authorized to publish to "${packet.topic}"`));
    },
    authorizeSubscribe(client, sub, done) {
      const acl = acls.get(client);
      if (acl !== undefined && maySubscribe(acl, sub.topic)) return done(null, sub);
      deny({ kind: 'subscribe', clientId: client.id, filter: sub.topic });
      // A null subscription is a refusal (granted QoS 128) that keeps the connection.
      return done(null, null);
    },
    aclOf(client) {
      return acls.get(client);
    },
  };
}
