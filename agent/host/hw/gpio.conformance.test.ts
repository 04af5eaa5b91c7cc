// Runs the GpioBackend conformance suite against the simulated pins (device-sim) and the gpiod
// backend over the gpiod tool stand-in, speaking libgpiod v1 and v2.

import { SimGpio } from '../../../device-sim/gpio/sim-gpio.ts';
import { gpioConformance, type GpioHarness } from './gpio.conformance.ts';
import { GpiodGpio } from './linux/gpiod-gpio.ts';
import { GpiodStandin } from './linux/_gpiod-standin.ts';
import { ManualTime, settle } from './manual-time.ts';

/** Awaits `p`, moving hand-driven time in small steps while it is pending. */
export async function pump<T>(time: ManualTime, p: Promise<T>, stepMs = 5, maxMs = 60_000): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await settle();
  for (let t = 0; !done && t < maxMs; t += stepMs) await time.advance(stepMs);
  return p;
}

gpioConformance('sim (device-sim pins)', async () => {
  const time = new ManualTime(1000);
  const gpio = new SimGpio({ button: { kind: 'input', initial: 0, edges: [] }, relay: { kind: 'output' } }, { time });
  return {
    backend: gpio,
    input: 'button',
    output: 'relay',
    drive: async (v) => gpio.setInput('button', v),
    observe: () => gpio.outputLevel('relay'),
    edgeWaitStarted: settle,
    advance: (ms) => time.advance(ms),
    settle: (p) => pump(time, p),
    now: () => time.now(),
    cleanup: () => gpio.close(),
  } satisfies GpioHarness;
});

for (const version of [1, 2] as const) {
  gpioConformance(`linux gpiod v${version} (tool stand-in under the backend)`, async () => {
    const time = new ManualTime(1000);
    const standin = new GpiodStandin({ version });
    const gpio = new GpiodGpio({
      lines: { button: { chip: 'gpiochip0', offset: 4 }, relay: { chip: 'gpiochip0', offset: 17 } },
      runner: standin.runner,
      time,
    });
    return {
      backend: gpio,
      input: 'button',
      output: 'relay',
      drive: async (v) => standin.setInput('gpiochip0', 4, v),
      observe: () => standin.driven('gpiochip0', 17) ?? null,
      edgeWaitStarted: async () => {
        for (let i = 0; i < 1000 && !standin.monitoring('gpiochip0', 4); i++) await settle();
      },
      advance: (ms) => time.advance(ms),
      settle: (p) => pump(time, p),
      now: () => time.now(),
      cleanup: () => pump(time, gpio.close()),
    } satisfies GpioHarness;
  });
}
