// Tests of the gpiod backend's own code: the exact v1 and v2 command lines it runs (under the
// tool stand-in), version detection, busy lines, missing tools, holders that die, active-low
// lines, and real processes (shell stand-ins for the tools on a PATH the test controls).

import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HardwareError } from '../errors.ts';
import { ManualTime, settle } from '../manual-time.ts';
import { systemTime } from '../time.ts';
import { GpiodGpio } from './gpiod-gpio.ts';
import { detectGpiodVersion } from './gpiod-tools.ts';
import { GpiodStandin } from './_gpiod-standin.ts';
import { nodeProcessRunner } from './process.ts';

const LINES = { button: { chip: 'gpiochip0', offset: 4 }, relay: { chip: 'gpiochip0', offset: 17 }, led: { chip: 'gpiochip0', offset: 5, activeLow: true } };

async function pump<T>(time: ManualTime, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await settle();
  for (let t = 0; !done && t < 60_000; t += 5) await time.advance(5);
  return p;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HardwareError);
  return (e as HardwareError).code;
}

describe('GpiodGpio command lines', () => {
  // Expected argument lists written from the tools' --help texts (libgpiod 1.6.3 and 2.2).
  const expected = {
    1: {
      version: 'gpioset --version',
      hold1: 'gpioset --mode=signal gpiochip0 17=1',
      hold0: 'gpioset --mode=signal gpiochip0 17=0',
      get: 'gpioget --bias=pull-up gpiochip0 4',
      mon: 'gpiomon --num-events=1 --line-buffered --format=%e --rising-edge --bias=pull-up gpiochip0 4',
      ledHold: 'gpioset --mode=signal --active-low gpiochip0 5=1',
    },
    2: {
      version: 'gpioset --version',
      hold1: 'gpioset --banner --chip gpiochip0 17=1',
      hold0: 'gpioset --banner --chip gpiochip0 17=0',
      get: 'gpioget --numeric --bias=pull-up --chip gpiochip0 4',
      mon: 'gpiomon --banner --num-events=1 --format=%e --edges=rising --bias=pull-up --chip gpiochip0 4',
      ledHold: 'gpioset --banner --active-low --chip gpiochip0 5=1',
    },
  } as const;

  for (const version of [1, 2] as const) {
    it(`detects libgpiod v${version} and runs its command lines`, async () => {
      const time = new ManualTime();
      const standin = new GpiodStandin({ version });
      const gpio = new GpiodGpio({ lines: LINES, runner: standin.runner, time });
      expect(await pump(time, gpio.version())).toBe(version);
      await pump(time, gpio.configure('relay', { direction: 'output', initial: 1 }));
      await pump(time, gpio.write('relay', 0));
      await pump(time, gpio.configure('button', { direction: 'input', bias: 'pull-up' }));
      const wait = gpio.waitEdge('button', 'rising', { timeoutMs: 1000 });
      for (let i = 0; i < 100 && !standin.monitoring('gpiochip0', 4); i++) await settle();
      standin.setInput('gpiochip0', 4, 1);
      expect((await wait)?.edge).toBe('rising');
      await pump(time, gpio.configure('led', { direction: 'output', initial: 1 }));
      const e = expected[version];
      expect(standin.commands).toEqual([e.version, e.hold1, e.hold0, e.get, e.mon, e.ledHold]);
      await pump(time, gpio.close());
    });
  }

  it('an active-low output drives the inverse level on the wire', async () => {
    const time = new ManualTime();
    const standin = new GpiodStandin({ version: 1 });
    const gpio = new GpiodGpio({ lines: LINES, runner: standin.runner, time, version: 1 });
    await pump(time, gpio.configure('led', { direction: 'output', initial: 1 }));
    expect(standin.driven('gpiochip0', 5)).toBe(0);
    expect(await gpio.read('led')).toBe(1);
    await pump(time, gpio.close());
  });

  it('configure of a line another program holds fails with "busy" and leaves it unconfigured', async () => {
    const time = new ManualTime();
    const standin = new GpiodStandin({ version: 2 });
    const gpio = new GpiodGpio({ lines: LINES, runner: standin.runner, time });
    const free = standin.holdElsewhere('gpiochip0', 17);
    expect(await codeOf(pump(time, gpio.configure('relay', { direction: 'output', initial: 1 })))).toBe('busy');
    const freeButton = standin.holdElsewhere('gpiochip0', 4);
    expect(await codeOf(pump(time, gpio.configure('button', { direction: 'input' })))).toBe('busy');
    expect(await codeOf(gpio.read('button'))).toBe('not-configured');
    free();
    freeButton();
    await pump(time, gpio.configure('relay', { direction: 'output', initial: 1 }));
    expect(standin.driven('gpiochip0', 17)).toBe(1);
    await pump(time, gpio.close());
  });

  it('a holder that dies on its own makes the next read fail, and a write starts a new one', async () => {
    const time = new ManualTime();
    const standin = new GpiodStandin({ version: 1 });
    const gpio = new GpiodGpio({ lines: LINES, runner: standin.runner, time });
    await pump(time, gpio.configure('relay', { direction: 'output', initial: 1 }));
    standin.crashHolder('gpiochip0', 17);
    for (let i = 0; i < 10; i++) await settle();
    expect(await codeOf(gpio.read('relay'))).toBe('io');
    await pump(time, gpio.write('relay', 1));
    expect(standin.driven('gpiochip0', 17)).toBe(1);
    expect(await gpio.read('relay')).toBe(1);
    await pump(time, gpio.close());
  });

  it('version detection refuses tools that are not libgpiod v1 or v2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleetlet-gpiod-'));
    try {
      await writeFile(join(dir, 'gpioset'), '#!/bin/sh\necho "gpioset (libgpiod) v3.0.0"\n');
      await chmod(join(dir, 'gpioset'), 0o755);
      const runner = nodeProcessRunner({ env: { PATH: dir } });
      expect(await codeOf(detectGpiodVersion(runner, systemTime))).toBe('unsupported');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('missing tools fail with "unsupported"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleetlet-gpiod-'));
    try {
      const gpio = new GpiodGpio({ lines: LINES, runner: nodeProcessRunner({ env: { PATH: dir } }) });
      const e = await gpio.configure('relay', { direction: 'output', initial: 0 }).catch((x: unknown) => x);
      expect((e as HardwareError).code).toBe('unsupported');
      expect((e as HardwareError).message).toContain('"gpioset"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Shell stand-ins for the v1 tools: real processes started by the real runner. State lives in
 * files: `value-<offset>` (an input's level), `held-<offset>` (what a gpioset drives), and a
 * `edge-<offset>` file that gpiomon waits for (its content is the edge code it prints).
 */
const SCRIPTS: Record<string, string> = {
  gpioset: `#!/bin/sh
[ "$1" = "--version" ] && { echo "gpioset (libgpiod) v1.6.3"; exit 0; }
[ "$1" = "--mode=signal" ] || { echo "gpioset: expected --mode=signal" >&2; exit 1; }
off="\${3%%=*}"; val="\${3#*=}"
echo "$val" > "$STATE/held-$off"
trap 'rm -f "$STATE/held-$off"; exit 0' TERM INT
while :; do sleep 0.02; done
`,
  gpioget: `#!/bin/sh
cat "$STATE/value-$2"
`,
  gpiomon: `#!/bin/sh
eval off=\\\${$#}
touch "$STATE/monitoring-$off"
trap 'rm -f "$STATE/monitoring-$off"; exit 0' TERM INT
while [ ! -f "$STATE/edge-$off" ]; do sleep 0.02; done
e=$(cat "$STATE/edge-$off"); rm -f "$STATE/edge-$off" "$STATE/monitoring-$off"; echo "$e"
`,
};

describe('GpiodGpio with real processes (shell stand-ins on PATH)', () => {
  let dir = '';
  let state = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetlet-gpiod-bin-'));
    state = join(dir, 'state');
    await writeFile(join(dir, '.keep'), '');
    await import('node:fs/promises').then((fs) => fs.mkdir(state));
    for (const [name, text] of Object.entries(SCRIPTS)) {
      await writeFile(join(dir, name), text);
      await chmod(join(dir, name), 0o755);
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const exists = (f: string) => readFile(join(state, f), 'utf8').then((t) => t.trim(), () => undefined);
  async function until(f: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 500 && !(await f()); i++) await new Promise((r) => setTimeout(r, 10));
  }

  it('holds outputs with gpioset processes, reads with gpioget, waits with gpiomon', async () => {
    const runner = nodeProcessRunner({ env: { PATH: `${dir}:/usr/bin:/bin`, STATE: state } });
    const gpio = new GpiodGpio({ lines: LINES, runner });
    expect(await gpio.version()).toBe(1);
    await gpio.configure('relay', { direction: 'output', initial: 1 });
    expect(await exists('held-17')).toBe('1');
    await gpio.write('relay', 0);
    expect(await exists('held-17')).toBe('0');

    await writeFile(join(state, 'value-4'), '1\n');
    await gpio.configure('button', { direction: 'input' });
    expect(await gpio.read('button')).toBe(1);

    const wait = gpio.waitEdge('button', 'rising', { timeoutMs: 20_000 });
    await until(async () => (await exists('monitoring-4')) !== undefined);
    await writeFile(join(state, 'edge-4'), '1\n');
    expect((await wait)?.edge).toBe('rising');

    // A wait that times out kills its gpiomon.
    expect(await gpio.waitEdge('button', 'rising', { timeoutMs: 100 })).toBeNull();
    await until(async () => (await exists('monitoring-4')) === undefined);
    expect(await exists('monitoring-4')).toBeUndefined();

    await gpio.close();
    expect(await exists('held-17')).toBeUndefined();
  });
});
