// A simulated AT-command modem, the request/response device: it answers each command line
// (ending in CR) after the scenario's latency on the injected clock, echoing unless ATE0.

import type { TimeSource } from '../../agent/host/hw/time.ts';
import type { ModemSpec } from '../scenario.ts';
import type { DeviceLogic } from './sim-device.ts';

/** Longest command line kept; longer input is answered with ERROR (a real modem's buffer). */
const MAX_LINE = 256;

/** The reply lines (before the final result) and result for one command, or undefined: ERROR. */
export function answer(spec: ModemSpec, command: string): readonly string[] | undefined {
  const c = command.trim().toUpperCase();
  const custom = spec.responses[c];
  if (custom !== undefined) return custom;
  switch (c) {
    case 'AT':
    case 'ATE0':
    case 'ATE1':
      return [];
    case 'ATI':
      return ['fleetlet simulated modem'];
    case 'AT+CGMI':
      return ['fleetlet'];
    case 'AT+CSQ':
      return [`+CSQ: ${spec.rssi},99`];
    case 'AT+COPS?':
      return [`+COPS: 0,0,"${spec.operator}"`];
    default:
      return undefined;
  }
}

export interface ModemOptions {
  readonly time: TimeSource;
}

export function modemDevice(spec: ModemSpec, options: ModemOptions): DeviceLogic {
  let send: (text: string) => void = () => undefined;
  let line = '';
  let overflow = false;
  let echo = true;
  const timers = new Set<unknown>();
  const reply = (command: string): void => {
    const c = command.trim().toUpperCase();
    const lines = overflow ? undefined : answer(spec, c);
    if (lines !== undefined && c === 'ATE0') echo = false;
    if (lines !== undefined && c === 'ATE1') echo = true;
    const text = lines === undefined ? '\r\nERROR\r\n' : lines.map((l) => `\r\n${l}\r\n`).join('') + '\r\nOK\r\n';
    const t = options.time.setTimeout(() => {
      timers.delete(t);
      send(text);
    }, spec.latencyMs);
    timers.add(t);
  };
  return {
    start(s) {
      send = s;
    },
    receive(data) {
      for (const byte of data) {
        const ch = String.fromCharCode(byte);
        if (echo) send(ch);
        if (ch === '\r' || ch === '\n') {
          if (line.trim() !== '' || overflow) reply(line);
          line = '';
          overflow = false;
        } else if (line.length < MAX_LINE) {
          line += ch;
        } else {
          overflow = true;
        }
      }
    },
    stop() {
      for (const t of timers) options.time.clearTimeout(t);
      timers.clear();
    },
  };
}
