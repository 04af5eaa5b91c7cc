// The embedded MQTT broker of a fleetlet cloud: aedes on a TCP (or TLS) listener, with the auth hooks of
// cloud/broker/auth.ts that confine each device to its own subtree. MiniCloud (tests) and FleetCloud (`fleetlet cloud`)
// both run it; it can also turn a device away at once (retirement) by closing its connection.

import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { brokerAuth, type AuthDenial, type DeviceAuthority } from '../broker/auth.ts';

export interface EmbeddedBrokerOptions {
  /** Who is a device and whether its password is right (the enrollment service answers). */
  readonly devices: DeviceAuthority;
  /** The cloud's own login on this broker. */
  readonly cloud: { readonly username: string; readonly password: string };
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** PEM certificate and key: the broker speaks MQTT over TLS (`mqtts://`). */
  readonly tls?: { readonly cert: string | Uint8Array; readonly key: string | Uint8Array };
  /** Every client turned away. */
  readonly onDenied?: (d: AuthDenial) => void;
}

export interface EmbeddedBroker {
  /** `mqtt://host:port` or `mqtts://host:port`: what devices and the cloud connect to. */
  readonly url: string;
  readonly port: number;
  readonly aedes: Aedes;
  /** Closes the connection of the client with this id, if connected; resolves when it is closed. */
  disconnect(clientId: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Starts aedes with the fleet's auth hooks on a listener.
 * @throws the listener's error (address in use, bad TLS key)
 */
export async function startEmbeddedBroker(o: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const auth = brokerAuth({ devices: o.devices, cloud: o.cloud, ...(o.onDenied === undefined ? {} : { onDenied: o.onDenied }) });
  const aedes = await Aedes.createBroker({ authenticate: auth.authenticate, authorizePublish: auth.authorizePublish, authorizeSubscribe: auth.authorizeSubscribe });
  const clients = new Map<string, Client>();
  aedes.on('client', (c) => clients.set(c.id, c));
  aedes.on('clientDisconnect', (c) => {
    if (clients.get(c.id) === c) clients.delete(c.id);
  });
  // no Nagle on the broker's sockets: small MQTT packets would wait for ACKs (see agent/session/_connection.ts)
  const handle = (socket: import('node:net').Socket): void => {
    socket.setNoDelay(true);
    aedes.handle(socket);
  };
  const server: Server = o.tls === undefined ? createTcpServer(handle) : createTlsServer({ cert: toPem(o.tls.cert), key: toPem(o.tls.key) }, handle);
  const host = o.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw e;
  }
  // a connection that fails its TLS handshake is that client's problem, never the cloud's
  server.on('tlsClientError', () => {});
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `${o.tls === undefined ? 'mqtt' : 'mqtts'}://${shownHost}:${port}`,
    port,
    aedes,
    async disconnect(clientId) {
      const c = clients.get(clientId);
      if (c === undefined) return false;
      clients.delete(clientId);
      await new Promise<void>((resolve) => c.close(() => resolve()));
      return true;
    },
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const toPem = (v: string | Uint8Array): string | Buffer => (typeof v === 'string' ? v : Buffer.from(v));
