// What one fleetlet cloud process is started with (FleetCloud.start): its data directory, the fleet's trust, the
// state signer's key, the store, the broker, enrollment policy and limits. The `fleetlet cloud` JSON file is parsed
// into this by cloud/cli/config-file.ts.

import type { CoseSigner } from '../../agent/update/cose.ts';
import type { RateLimit } from '../chunks/chunk-service.ts';
import type { Retention } from '../store/types.ts';

export type CloudLogLevel = 'debug' | 'info' | 'warn' | 'error';
/** One log record (the CLI writes it as a JSON line). */
export type CloudLog = (level: CloudLogLevel, msg: string, fields: Record<string, unknown>) => void;

export type StoreConfig =
  | { readonly kind: 'sqlite'; /** Default `dataDir/fleet.db`. */ readonly path?: string }
  | { readonly kind: 'postgres'; readonly url: string; /** Tables in this schema (created if missing). */ readonly schema?: string };

export type BrokerConfig =
  | {
      /** An aedes inside this process, with the fleet's auth hooks; devices log in with the credentials enrollment issues. */
      readonly embedded: {
        /** Default 127.0.0.1. */
        readonly host?: string;
        /** Default 1883 (0: a free port). */
        readonly port?: number;
        /** PEM certificate and key: MQTT over TLS. */
        readonly tls?: { readonly cert: string; readonly key: string };
      };
    }
  | {
      /** An external broker (mosquitto, EMQX...) with its own logins and ACLs. */
      readonly url: string;
      readonly username?: string;
      readonly password?: string;
      readonly protocolVersion?: 4 | 5;
      /** PEM of the CA that signed the broker's certificate (mqtts://). */
      readonly ca?: string;
      /**
       * Several cloud processes share this broker: ingest, chunks and enrollment subscribe as MQTT 5 shared
       * subscriptions (`$share/fleetlet-cloud/...`), so each device message reaches one process. Needs protocolVersion 5.
       */
      readonly shared?: boolean;
    };

export interface FleetCloudConfig {
  readonly dataDir: string;
  /** The fleet's signed trust update (COSE_Sign bytes): enrolled devices start from it, bundles are verified with it. */
  readonly trust: Uint8Array;
  /** The state signer's key id (as in the trust update) and Ed25519 seed. */
  readonly stateSigner: CoseSigner;
  /** Default SQLite in the data directory. */
  readonly store?: StoreConfig;
  /**
   * Where module bytes are kept; default `dataDir/blobs`. Cloud processes sharing a store must share this folder too
   * (a network file system): any of them may serve a device's chunk request for a bundle another one took in.
   */
  readonly blobsDir?: string;
  /** Default an embedded aedes on 127.0.0.1:1883. */
  readonly broker?: BrokerConfig;
  readonly enrollment?: {
    /** Accept every valid request at once (demos); default false: requests wait for an operator. */
    readonly autoAccept?: boolean;
    /** One-time enrollment tokens: a request carrying an unused one is accepted at once. */
    readonly tokens?: readonly string[];
    /** How long a pending device waits before asking again; default 10 s. */
    readonly retryAfterMs?: number;
  };
  /** Chunk requests per device; default 200 per second, bursts of 100. */
  readonly chunkRate?: RateLimit;
  /** How long events and telemetry are kept; default 30 and 7 days. */
  readonly retention?: Retention;
  /** This process's name among the cloud processes sharing a store (MQTT client id, lease holder); default host-pid. */
  readonly processId?: string;
  /** How often rollouts are ticked; default 1 s. */
  readonly rolloutTickMs?: number;
  /**
   * The lease that makes one process of those sharing the store drive rollouts (cloud/rollout/leader.ts): how long it
   * lasts unrenewed (default 10 s: a standby takes over at most this long after the leader died) and how often it is
   * renewed and a standby tries to take it (default ttlMs / 3).
   */
  readonly rolloutLease?: { readonly ttlMs?: number; readonly renewEveryMs?: number };
  /** Milliseconds since the epoch; default Date.now (tests inject). */
  readonly clock?: () => number;
  readonly log?: CloudLog;
}
