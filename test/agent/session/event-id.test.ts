// newEventId: idempotency keys that fit the event schema and do not repeat on one device.
import { describe, expect, it } from 'vitest';
import { REQUEST_ID_PATTERN, encodeEvent } from '../../../schemas/index.ts';
import { newEventId } from '../../../agent/session/index.ts';
import { eventOf } from './_kit.ts';

describe('newEventId', () => {
  it('matches the schema id pattern and an event carrying it encodes', () => {
    const whole = new RegExp(`^(?:${REQUEST_ID_PATTERN.source})$`);
    for (const now of [0, 1_700_000_000_000, 8_640_000_000_000_000]) {
      const id = newEventId(now);
      expect(id).toMatch(whole);
      expect(() => encodeEvent(eventOf('dev-1', 0, id))).not.toThrow();
    }
  });

  it('does not repeat within one millisecond or when the clock steps back', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) ids.add(newEventId(i % 2 === 0 ? 1_000 : 999));
    expect(ids.size).toBe(20_000);
  });
});
