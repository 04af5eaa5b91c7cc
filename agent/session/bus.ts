// The agent's view of the MQTT connection: what the reconciler, the downloader and enrollment need and nothing more,
// so each is tested over a real broker through the same seam the full session (session.ts) implements.

/** How a message goes out (from the topic table in schemas/topics.ts). */
export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain?: boolean;
}

/** Called for each message on a subscribed filter; a throw is caught and logged by the bus, never crashes it. */
export type MessageHandler = (payload: Uint8Array, topic: string) => void;

/** Thrown by `publish` when there is no connection (the caller decides whether to queue, drop or retry). */
export class BusOffline extends Error {
  override readonly name = 'BusOffline';
  constructor(readonly topic: string) {
    super(`Cannot publish to "${topic}": not connected to the broker`);
  }
}

export interface MessageBus {
  /**
   * Publishes one message; resolves once the broker acknowledged it (QoS 1) or it was written (QoS 0).
   * @throws BusOffline when not connected; Error when the connection dropped before the acknowledgement
   */
  publish(topic: string, payload: Uint8Array, options: PublishOptions): Promise<void>;
  /**
   * Subscribes to a topic filter at QoS 1; the subscription is restored after every reconnect. Resolves with a function
   * that removes this handler (and unsubscribes when it was the filter's last).
   */
  subscribe(filter: string, handler: MessageHandler): Promise<() => Promise<void>>;
  /** Whether a session with the broker is up now. */
  readonly connected: boolean;
  /** Called with true each time a session is (re)established, false when it is lost; returns a remover. */
  onConnectionChange(listener: (online: boolean) => void): () => void;
}
