// A MessageBus over a plain mqtt.js client: mqtt.js's own reconnect (fixed period) and resubscribe. Tests and tools
// use it where the full session's outbox, presence and jittered backoff are not the thing under test.

import type { MqttClient } from 'mqtt';
import { filterCovers } from '../../schemas/capabilities.ts';
import { BusOffline, type MessageBus, type MessageHandler, type PublishOptions } from './bus.ts';

export function busFromClient(client: MqttClient): MessageBus {
  const handlers = new Map<string, Set<MessageHandler>>();
  const listeners = new Set<(online: boolean) => void>();
  client.on('message', (topic, payload) => {
    for (const [filter, set] of handlers) {
      if (!filterCovers(filter, topic)) continue;
      for (const h of set) {
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
      let set = handlers.get(filter);
      if (set === undefined) {
        set = new Set();
        handlers.set(filter, set);
        await client.subscribeAsync(filter, { qos: 1 });
      }
      set.add(handler);
      return async () => {
        set.delete(handler);
        if (set.size === 0 && handlers.get(filter) === set) {
          handlers.delete(filter);
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
