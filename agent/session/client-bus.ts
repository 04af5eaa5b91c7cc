// A MessageBus over a plain mqtt.js client: mqtt.js's own reconnect (fixed period) and resubscribe. Tests and tools
// use it where the full session's outbox, presence and jittered backoff are not the thing under test; the cloud's
// processes use it too, with MQTT 5 shared subscriptions (`$share/<group>/<filter>`, see cloud/service/shared-bus.ts).

import type { MqttClient } from 'mqtt';
import { filterCovers } from '../../schemas/capabilities.ts';
import { BusOffline, type MessageBus, type MessageHandler, type PublishOptions } from './bus.ts';

const SHARE_PREFIX = '$share/';

/** The filter a subscription matches topics with: `$share/<group>/<filter>` matches as `<filter>`. */
export function matchingFilter(filter: string): string {
  if (!filter.startsWith(SHARE_PREFIX)) return filter;
  const slash = filter.indexOf('/', SHARE_PREFIX.length);
  return slash < 0 ? filter : filter.slice(slash + 1);
}

interface Subscription {
  readonly handlers: Set<MessageHandler>;
  /** What topics are matched with (the filter without its `$share/<group>/`). */
  readonly match: string;
  /** MQTT 5 subscription identifier of a shared subscription (undefined for plain ones and on MQTT 3.1.1). */
  readonly id: number | undefined;
}

/** The subscription identifiers a message came with (MQTT 5), or an empty list. */
function idsOf(packet: unknown): readonly number[] {
  const ids = (packet as { properties?: { subscriptionIdentifier?: number | number[] } } | undefined)?.properties?.subscriptionIdentifier;
  return ids === undefined ? [] : Array.isArray(ids) ? ids : [ids];
}

/**
 * On MQTT 5 each shared subscription gets a subscription identifier, so that a client holding a plain and a shared
 * subscription that both match a topic hands each copy the broker sends to the handlers of its own subscription
 * only (the plain copy carries no identifier, the shared one its group's). Plain subscriptions behave as before.
 */
export function busFromClient(client: MqttClient): MessageBus {
  const subscriptions = new Map<string, Subscription>();
  const listeners = new Set<(online: boolean) => void>();
  let nextId = 1;
  client.on('message', (topic, payload, packet) => {
    const ids = idsOf(packet);
    for (const sub of subscriptions.values()) {
      // a copy with identifiers was sent for those shared subscriptions; one without for the plain ones
      if (sub.id === undefined ? ids.length > 0 : !ids.includes(sub.id)) continue;
      if (!filterCovers(sub.match, topic)) continue;
      for (const h of sub.handlers) {
        try {
          h(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), topic);
        } catch {
          // a handler's bug never takes the connection down
        }
      }
    }
  });
  client.on('connect', () => { for (const l of listeners) l(true); });
  client.on('close', () => { for (const l of listeners) l(false); });
  return {
    get connected() { return client.connected; },
    async publish(topic: string, payload: Uint8Array, options: PublishOptions) {
      if (!client.connected) throw new BusOffline(topic);
      await client.publishAsync(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos: options.qos, retain: options.retain ?? false });
    },
    async subscribe(filter: string, handler: MessageHandler) {
      let sub = subscriptions.get(filter);
      if (sub === undefined) {
        const shared = filter.startsWith(SHARE_PREFIX) && client.options.protocolVersion === 5;
        sub = { handlers: new Set(), match: matchingFilter(filter), id: shared ? nextId++ : undefined };
        subscriptions.set(filter, sub);
        await client.subscribeAsync(filter, sub.id === undefined ? { qos: 1 } : { qos: 1, properties: { subscriptionIdentifier: sub.id } });
      }
      const s = sub;
      s.handlers.add(handler);
      return async () => {
        s.handlers.delete(handler);
        if (s.handlers.size === 0 && subscriptions.get(filter) === s) {
          subscriptions.delete(filter);
          if (client.connected) await client.unsubscribeAsync(filter);
        }
      };
    },
    onConnectionChange(listener: (online: boolean) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
