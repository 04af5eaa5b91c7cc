// Tests of the spec runner core against a scripted fake engine (every verdict path) and against
// V8 on a real script with planted wrong expectations (the runner must catch each one).

import { describe, expect, it } from 'vitest';
import { failed, ok, type FailureKind, type Outcome, type SpecEngine, type SpecInstance, type SpecModule } from './adapter.ts';
import { runScript, summaryLine, scriptLine, failureLine, type ScriptResult } from './runner.ts';
import { defaultSpecDir, loadScript, type Command, type LoadedScript } from './script.ts';
import { v8Engine } from './v8-adapter.ts';
import type { SpecValue } from './values.ts';

type FakeFn = (args: readonly SpecValue[]) => Outcome<SpecValue[]>;

/** How the fake engine treats one module file. */
interface FakeModule {
  readonly compile?: FailureKind;
  readonly instantiate?: FailureKind | 'throw';
  readonly funcs?: Readonly<Record<string, FakeFn>>;
  readonly globals?: Readonly<Record<string, SpecValue>>;
}

class FakeInstance implements SpecInstance {
  constructor(readonly file: string, private readonly m: FakeModule) {}
  invoke(field: string, args: readonly SpecValue[]): Outcome<SpecValue[]> {
    const f = this.m.funcs?.[field];
    return f === undefined ? failed('error', `No export "${field}"`) : f(args);
  }
  get(field: string): Outcome<SpecValue> {
    const g = this.m.globals?.[field];
    return g === undefined ? failed('error', `No global "${field}"`) : ok(g);
  }
}

/** A fake engine whose modules are named by their bytes; it records what each instantiation could import. */
function fakeEngine(modules: Readonly<Record<string, FakeModule>>, seenImports: string[][] = []): SpecEngine {
  return {
    name: 'fake',
    newSession: () => ({
      compile(bytes: Uint8Array): Outcome<SpecModule> {
        const file = new TextDecoder().decode(bytes);
        const m = modules[file];
        if (m === undefined) throw new Error(`fake engine has no module "${file}"`);
        if (m.compile !== undefined) return failed(m.compile, `fake ${m.compile}`);
        return ok({
          instantiate(registered: ReadonlyMap<string, SpecInstance>): Outcome<SpecInstance> {
            seenImports.push([...registered.keys()]);
            if (m.instantiate === 'throw') throw new TypeError('adapter bug');
            if (m.instantiate !== undefined) return failed(m.instantiate, `fake ${m.instantiate}`);
            return ok(new FakeInstance(file, m));
          },
        });
      },
    }),
  };
}

let nextLine = 1;
type WithoutLine<T> = T extends unknown ? Omit<T, 'line'> : never;
const script = (...commands: WithoutLine<Command>[]): LoadedScript => ({
  name: 'fake',
  script: { source_filename: 'fake.wast', commands: commands.map((c) => ({ ...c, line: nextLine++ }) as Command) },
  readModule: (f) => new TextEncoder().encode(f),
});

const i32 = (n: number): SpecValue => ({ type: 'i32', bits: n >>> 0 });
const addOne: FakeFn = ([a]) => ok([i32(a !== undefined && 'bits' in a ? Number(a.bits) + 1 : 0)]);
const call = (field: string, arg: string, module?: string) => ({
  type: 'invoke' as const,
  field,
  args: [{ type: 'i32', value: arg }],
  ...(module === undefined ? {} : { module }),
});
const returns = (field: string, arg: string, result: string, module?: string) => ({
  type: 'assert_return' as const,
  action: call(field, arg, module),
  expected: [{ type: 'i32', value: result }],
});

const verdicts = (r: ScriptResult) => ({ passed: r.passed, failed: r.failed, skipped: r.skipped });

describe('runScript with a fake engine', () => {
  const engine = fakeEngine({
    'ok.wasm': { funcs: { inc: addOne, boom: () => failed('trap', 'unreachable'), deep: () => failed('exhaustion', 'call depth') } },
    'bad.wasm': { compile: 'malformed' },
    'invalid.wasm': { compile: 'invalid' },
    'rejected.wasm': { compile: 'rejected' },
    'unlinkable.wasm': { instantiate: 'unlinkable' },
    'traps.wasm': { instantiate: 'trap' },
    'throws.wasm': { instantiate: 'throw' },
    'two.wasm': { funcs: { pair: () => ok([i32(1), i32(2)]) }, globals: { g: { type: 'f32', bits: 0x7fc0_0000 } } },
  });

  it('counts a module and matching results as passed', () => {
    const r = runScript(engine, script({ type: 'module', filename: 'ok.wasm' }, returns('inc', '1', '2'), returns('inc', '4294967295', '0')));
    expect(verdicts(r)).toEqual({ passed: 3, failed: 0, skipped: 0 });
  });

  it('fails a wrong result and says what came back', () => {
    const r = runScript(engine, script({ type: 'module', filename: 'ok.wasm' }, returns('inc', '1', '3')));
    expect(verdicts(r)).toEqual({ passed: 1, failed: 1, skipped: 0 });
    expect(r.failures[0]?.message).toBe('inc(i32 1): got i32 2 (0x2), want i32 3 (0x3)');
    expect(r.failures[0]?.command).toBe('assert_return');
  });

  it('checks trap and exhaustion by kind', () => {
    const r = runScript(
      engine,
      script(
        { type: 'module', filename: 'ok.wasm' },
        { type: 'assert_trap', action: call('boom', '0'), text: 'unreachable', expected: [] },
        { type: 'assert_trap', action: call('inc', '0'), text: 'unreachable', expected: [] },
        { type: 'assert_trap', action: call('deep', '0'), text: 'unreachable', expected: [] },
        { type: 'assert_exhaustion', action: call('deep', '0'), text: 'call stack exhausted', expected: [] },
        { type: 'assert_exhaustion', action: call('boom', '0'), text: 'call stack exhausted', expected: [] },
      ),
    );
    expect(verdicts(r)).toEqual({ passed: 3, failed: 3, skipped: 0 });
    expect(r.failures.map((f) => f.message)).toEqual([
      'inc(i32 0): Expected trap "unreachable", but it succeeded',
      'deep(i32 0): Expected trap "unreachable", got exhaustion: call depth',
      'boom(i32 0): Expected exhaustion "call stack exhausted", got trap: unreachable',
    ]);
  });

  it('accepts malformed and invalid only for their own assertion; rejected satisfies both', () => {
    const m = (type: 'assert_malformed' | 'assert_invalid', filename: string) => ({ type, filename, module_type: 'binary' as const, text: 'x' });
    const r = runScript(
      engine,
      script(
        m('assert_malformed', 'bad.wasm'),
        m('assert_invalid', 'invalid.wasm'),
        m('assert_malformed', 'rejected.wasm'),
        m('assert_invalid', 'rejected.wasm'),
        m('assert_malformed', 'invalid.wasm'),
        m('assert_invalid', 'bad.wasm'),
        m('assert_invalid', 'ok.wasm'),
      ),
    );
    expect(verdicts(r)).toEqual({ passed: 4, failed: 3, skipped: 0 });
    expect(r.failures.map((f) => f.message)).toEqual([
      'invalid.wasm: Expected malformed module "x", got invalid: fake invalid',
      'bad.wasm: Expected invalid module "x", got malformed: fake malformed',
      'ok.wasm: Expected invalid module "x", but it succeeded',
    ]);
  });

  it('skips only text assert_malformed; other text modules fail', () => {
    const r = runScript(
      engine,
      script(
        { type: 'assert_malformed', filename: 'a.wat', module_type: 'text', text: 'unknown operator' },
        { type: 'assert_invalid', filename: 'b.wat', module_type: 'text', text: 'type mismatch' },
      ),
    );
    expect(verdicts(r)).toEqual({ passed: 0, failed: 1, skipped: 1 });
  });

  it('checks unlinkable and uninstantiable modules by kind', () => {
    const t = (type: 'assert_unlinkable' | 'assert_uninstantiable', filename: string) => ({ type, filename, module_type: 'binary' as const, text: 'x' });
    const r = runScript(
      engine,
      script(t('assert_unlinkable', 'unlinkable.wasm'), t('assert_uninstantiable', 'traps.wasm'), t('assert_unlinkable', 'traps.wasm'), t('assert_uninstantiable', 'ok.wasm'), t('assert_unlinkable', 'bad.wasm')),
    );
    expect(verdicts(r)).toEqual({ passed: 2, failed: 3, skipped: 0 });
    expect(r.failures[2]?.message).toBe('bad.wasm: Module did not compile: malformed: fake malformed');
  });

  it('fails the commands that use a module that did not instantiate, then recovers with the next module', () => {
    const r = runScript(
      engine,
      script({ type: 'module', filename: 'ok.wasm' }, { type: 'module', filename: 'traps.wasm' }, returns('inc', '1', '2'), { type: 'module', filename: 'ok.wasm' }, returns('inc', '1', '2')),
    );
    expect(verdicts(r)).toEqual({ passed: 3, failed: 2, skipped: 0 });
    expect(r.failures[1]?.message).toMatch(/^inc\(i32 1\): No module to act on: module traps.wasm \(line \d+\) did not instantiate$/);
  });

  it('turns an exception thrown by the adapter into a failure and goes on', () => {
    const r = runScript(engine, script({ type: 'module', filename: 'throws.wasm' }, { type: 'module', filename: 'ok.wasm' }, returns('inc', '0', '1')));
    expect(verdicts(r)).toEqual({ passed: 2, failed: 1, skipped: 0 });
    expect(r.failures[0]?.message).toBe('throws.wasm: Runner or adapter threw TypeError: adapter bug');
  });

  it('acts on named modules and passes registered instances to later instantiations', () => {
    const seen: string[][] = [];
    const r = runScript(
      fakeEngine({ 'ok.wasm': { funcs: { inc: addOne } }, 'two.wasm': {} }, seen),
      script(
        { type: 'module', filename: 'ok.wasm', name: '$A' },
        { type: 'register', as: 'A', name: '$A' },
        { type: 'module', filename: 'two.wasm' },
        returns('inc', '7', '8', '$A'),
        returns('inc', '7', '8'),
        { type: 'register', as: 'B', name: '$nope' },
      ),
    );
    expect(seen).toEqual([[], ['A']]);
    expect(verdicts(r)).toEqual({ passed: 4, failed: 2, skipped: 0 });
    expect(r.failures.map((f) => f.message)).toEqual(['inc(i32 7): Expected results, got error: No export "inc"', 'Cannot register "B": no module is named "$nope"']);
  });

  it('checks the number of results and reads globals with the expected type', () => {
    const r = runScript(
      engine,
      script(
        { type: 'module', filename: 'two.wasm' },
        { type: 'assert_return', action: { type: 'invoke', field: 'pair', args: [] }, expected: [{ type: 'i32', value: '1' }, { type: 'i32', value: '2' }] },
        { type: 'assert_return', action: { type: 'invoke', field: 'pair', args: [] }, expected: [{ type: 'i32', value: '1' }] },
        { type: 'assert_return', action: { type: 'get', field: 'g' }, expected: [{ type: 'f32', value: 'nan:canonical' }] },
        { type: 'assert_return', action: { type: 'get', field: 'g' }, expected: [{ type: 'f32', value: '2143289344' }] },
        { type: 'assert_return', action: { type: 'invoke', field: 'pair', args: [{ type: 'v128', value: ['0'] }] }, expected: [] },
      ),
    );
    expect(verdicts(r)).toEqual({ passed: 4, failed: 2, skipped: 0 });
    expect(r.failures[0]?.message).toBe('pair(): Expected 1 results, got 2');
    expect(r.failures[1]?.message).toContain('UnsupportedValue: Value type "v128" is not supported');
  });

  it('formats the report lines', () => {
    const r = runScript(engine, script({ type: 'module', filename: 'ok.wasm' }, returns('inc', '1', '3')));
    expect(scriptLine(r)).toBe('fake: 1 passed, 1 failed, 0 skipped');
    expect(summaryLine({ passed: 27356, failed: 0, skipped: 567 })).toBe('27356 passed, 0 failed, 567 skipped');
    expect(failureLine(r.failures[0] as ScriptResult['failures'][number])).toMatch(/^fake\.json:\d+ assert_return: inc\(i32 1\): got i32 2/);
  });
});

describe('runScript on V8', () => {
  it('catches planted wrong expectations in a real script', () => {
    const loaded = loadScript(`${defaultSpecDir()}/f32_bitwise.json`);
    const commands = loaded.script.commands.map((c) => ({ ...c }) as Command);
    // Planted: a NaN with another payload, a -0 for a 0, and a trap where a value comes back.
    const planted: number[] = [];
    commands.forEach((c, i) => {
      if (c.type !== 'assert_return' || planted.length >= 2) return;
      const e = c.expected?.[0];
      if (e?.value === '2143289344' || e?.value === '0') {
        const wrong = e.value === '0' ? '2147483648' : '2141192192';
        commands[i] = { ...c, expected: [{ type: 'f32', value: wrong }] };
        planted.push(c.line);
      }
    });
    const firstReturn = commands.findIndex((c) => c.type === 'assert_return');
    const victim = commands[firstReturn] as Command & { type: 'assert_return' };
    commands[firstReturn] = { type: 'assert_trap', line: victim.line, action: victim.action, text: 'planted', expected: (victim.expected ?? []).map((e) => ({ type: e.type })) };
    planted.push(victim.line);

    const r = runScript(v8Engine, { ...loaded, script: { ...loaded.script, commands } });
    expect(r.failures.map((f) => f.line).sort()).toEqual([...new Set(planted)].sort());
    expect(r.passed + r.failed).toBe(commands.length);
  });
});
