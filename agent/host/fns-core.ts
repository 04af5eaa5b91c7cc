// The `fleetlet:host/v1` functions that need no hardware: log, the two clocks, sleep and publish.

import { HOST_MODULE } from '../../schemas/host-imports.ts';
import { Pending } from '../wasm/api.ts';
import { Trap } from '../wasm/errors.ts';
import type { HostDef } from './host-def.ts';
import { nsOf } from './host-context.ts';
import { MAX_LOG_LINE_BYTES, type LogLevel } from './log-lines.ts';
import { isSubtopic, MAX_SUBTOPIC_BYTES } from './publisher.ts';
import { OK } from './status.ts';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const def = (d: Omit<HostDef, 'module'>): HostDef => ({ module: HOST_MODULE, ...d });

export const CORE_DEFS: readonly HostDef[] = [
  def({
    name: 'log',
    rate: 'drop',
    suspends: false,
    errors: [],
    check: '',
    traps: 'memory-out-of-bounds when the text is not inside memory (log has no status to return)',
    make: (ctx) => (level, ptr, len) => {
      const n = Number(len) >>> 0;
      const shown = Math.min(n, MAX_LOG_LINE_BYTES);
      if (!ctx.memory.inBounds(Number(ptr), n)) throw new Trap('memory-out-of-bounds', `log text at ${Number(ptr) >>> 0} of ${n} bytes is outside memory`);
      if (!ctx.takeCall('log')) {
        ctx.droppedLog();
        return;
      }
      const lv = Number(level);
      ctx.emitLog(LEVELS[lv] ?? 'info', ctx.memory.lossyText(Number(ptr), shown) ?? '', 'log');
    },
  }),
  def({
    name: 'clock_wall',
    rate: 'free',
    suspends: false,
    errors: [],
    check: '',
    traps: '',
    make: (ctx) => () => nsOf(ctx.wallMs()),
  }),
  def({
    name: 'clock_mono',
    rate: 'free',
    suspends: false,
    errors: [],
    check: '',
    traps: '',
    make: (ctx) => () => nsOf(ctx.now()),
  }),
  def({
    name: 'sleep',
    rate: 'free',
    suspends: true,
    errors: ['invalid'],
    check: '',
    traps: '',
    make: (ctx) => (ms) => {
      const d = Number(ms);
      if (d < 0) return ctx.status('invalid');
      // The scheduler's clock ends the sleep (detail.sleepUntil); it resumes with 0.
      return new Pending(undefined, { op: 'sleep', sleepUntil: ctx.now() + d });
    },
  }),
  def({
    name: 'publish',
    rate: 'refuse',
    suspends: false,
    errors: ['invalid', 'fault', 'denied', 'tooBig', 'rateLimited', 'unsupported', 'io'],
    check: 'the subtopic must match the filter of a granted publish:<filter>',
    traps: '',
    make: (ctx) => (tPtr, tLen, pPtr, pLen) => {
      const t = ctx.memory.text(Number(tPtr), Number(tLen), MAX_SUBTOPIC_BYTES);
      if (!t.ok) return t.reason === 'fault' ? ctx.fault('publish', 'the topic is outside memory') : ctx.status('invalid');
      if (!isSubtopic(t.text)) return ctx.status('invalid');
      if (!ctx.grants.allowsPublish(t.text)) return ctx.deny('publish', `no publish capability matches topic "${t.text}"`);
      const n = Number(pLen) >>> 0;
      if (n > ctx.limits.maxPublishBytes) return ctx.status('tooBig');
      const payload = ctx.memory.copy(Number(pPtr), n);
      if (payload === undefined) return ctx.fault('publish', 'the payload is outside memory');
      const sink = ctx.device.publisher;
      if (sink === undefined) return ctx.status('unsupported');
      if (!ctx.takePublishBytes('publish', n)) return ctx.status('rateLimited');
      try {
        sink.publish({ app: ctx.app, subtopic: t.text, payload, timeMs: ctx.wallMs() });
      } catch (e) {
        return ctx.hardwareFailure('publish', e);
      }
      ctx.published(n);
      return OK;
    },
  }),
];
