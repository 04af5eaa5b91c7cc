// Shared subscriptions for a cloud that runs as several processes: `sharedBus(bus, group)` makes each subscription an
// MQTT 5 shared one (`$share/<group>/<filter>`), so the broker hands every message to one process of the group
// instead of to all of them. Ingest, the chunk service and enrollment use it; the rollout driver does not (only the
// leader runs one, and it needs every device's status).

import type { MessageBus, MessageHandler } from '../../agent/session/bus.ts';
import { filterCovers } from '../../schemas/capabilities.ts';

/** Why a shared bus could not be made. */
export class SharedBusError extends Error {
  override readonly name = 'SharedBusError';
  readonly code = 'bad-group';
  constructor(readonly group: string) {
    super(`Cannot use "${group}" as a shared subscription group: need 1 to 64 of a-z A-Z 0-9 _ - (no "/", "+", "#")`);
  }
}

const GROUP = /^[A-Za-z0-9_-]{1,64}$/;

/** The shared subscription filter for `filter` in `group`. */
export const shareFilter = (group: string, filter: string): string => `$share/${group}/${filter}`;

/**
 * A MessageBus whose `subscribe(filter, h)` subscribes to `$share/<group>/<filter>` on `bus` and hands `h` only the
 * messages whose topic `filter` matches; publishing and the connection are `bus`'s. The broker must speak MQTT 5 (or
 * offer `$share` on 3.1.1, as EMQX and HiveMQ do); on a broker without shared subscriptions the subscribe fails or
 * matches nothing, so the cloud enables it only when its configuration says the broker is shared. Retained messages
 * are not sent to shared subscriptions (MQTT 5, 4.8.2): whoever needs them must hold a plain subscription as well.
 * @throws SharedBusError for a group that is not a plain topic level
 */
export function sharedBus(bus: MessageBus, group: string): MessageBus {
  if (!GROUP.test(group)) throw new SharedBusError(group);
  return {
    get connected() {
      return bus.connected;
    },
    publish: (topic, payload, options) => bus.publish(topic, payload, options),
    subscribe: (filter: string, handler: MessageHandler) =>
      bus.subscribe(shareFilter(group, filter), (payload, topic) => {
        if (filterCovers(filter, topic)) handler(payload, topic);
      }),
    onConnectionChange: (listener) => bus.onConnectionChange(listener),
  };
}
