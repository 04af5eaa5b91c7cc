// The engine-agnostic spec runner core: executes the commands of one script against a
// `SpecEngine` and counts each as passed, failed or skipped, recording why each failure failed.

import { describeThrown, type EngineFailure, type FailureKind, type Outcome, type SpecEngine, type SpecInstance, type SpecModule, type SpecSession } from './adapter.ts';
import { loadScript, type Command, type JsonAction, type LoadedScript } from './script.ts';
import { HostRefs, mismatch, parseArg, parseExpected, typeOfExpected, type Expected, type SpecValue } from './values.ts';

export interface CommandFailure {
  /** Script name, e.g. `i32`. */
  readonly file: string;
  /** Line of the command in the `.wast` source. */
  readonly line: number;
  readonly command: Command['type'];
  /** What went wrong, in one line. */
  readonly message: string;
}

export interface ScriptResult {
  readonly name: string;
  readonly passed: number;
  readonly failed: number;
  /** Only `assert_malformed` on text modules, which a binary engine cannot check. */
  readonly skipped: number;
  readonly failures: readonly CommandFailure[];
}

/** Totals over several scripts. */
export interface Summary {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly scripts: readonly ScriptResult[];
}

/** A command that did not hold; caught per command, so one failure never stops a script. */
class CommandFailed extends Error {}

/** The current module, or why there is none (a module that failed makes later commands using it fail). */
type Slot = { readonly instance: SpecInstance } | { readonly missing: string };

const COMPILE_KINDS: Readonly<Record<'assert_malformed' | 'assert_invalid', readonly FailureKind[]>> = {
  assert_malformed: ['malformed', 'rejected'],
  assert_invalid: ['invalid', 'rejected'],
};

/** Runs one loaded script on a fresh session of `engine`. Never throws. */
export function runScript(engine: SpecEngine, loaded: LoadedScript): ScriptResult {
  const { name, script, readModule } = loaded;
  const failures: CommandFailure[] = [];
  let passed = 0;
  let skipped = 0;
  const refs = new HostRefs();
  const registered = new Map<string, SpecInstance>();
  const named = new Map<string, Slot>();
  let current: Slot = { missing: 'no module has been defined yet' };
  let session: SpecSession | undefined;

  const getSession = (): SpecSession => {
    session ??= engine.newSession();
    return session;
  };

  const compile = (filename: string): SpecModule => {
    const r = getSession().compile(readModule(filename));
    if (!r.ok) throw new CommandFailed(`Module did not compile: ${failureText(r.failure)}`);
    return r.value;
  };

  const resolve = (moduleName: string | undefined): SpecInstance => {
    const slot = moduleName === undefined ? current : named.get(moduleName) ?? { missing: `no module is named "${moduleName}"` };
    if ('missing' in slot) throw new CommandFailed(`No module to act on: ${slot.missing}`);
    return slot.instance;
  };

  const perform = (action: JsonAction, expected: readonly Expected[]): Outcome<SpecValue[]> => {
    const instance = resolve(action.module);
    if (action.type === 'invoke') {
      const args = (action.args ?? []).map((a) => parseArg(a, refs));
      return instance.invoke(action.field, args, expected.map(typeOfExpected));
    }
    if (action.type === 'get') {
      const first = expected[0];
      if (first === undefined) throw new CommandFailed(`Cannot read global "${action.field}": the script gives no type`);
      const r = instance.get(action.field, typeOfExpected(first));
      return r.ok ? { ok: true, value: [r.value] } : r;
    }
    throw new CommandFailed(`Unknown action type "${String((action as { type: unknown }).type)}"`);
  };

  const expectFailure = (r: Outcome<unknown>, kinds: readonly FailureKind[], what: string): void => {
    if (r.ok) throw new CommandFailed(`Expected ${what}, but it succeeded`);
    if (!kinds.includes(r.failure.kind)) throw new CommandFailed(`Expected ${what}, got ${failureText(r.failure)}`);
  };

  const runCommand = (c: Command): 'pass' | 'skip' => {
    switch (c.type) {
      case 'module': {
        current = { missing: `module ${c.filename} (line ${c.line}) did not instantiate` };
        if (c.name !== undefined) named.set(c.name, current);
        const r = compile(c.filename).instantiate(registered);
        if (!r.ok) throw new CommandFailed(`Module did not instantiate: ${failureText(r.failure)}`);
        current = { instance: r.value };
        if (c.name !== undefined) named.set(c.name, current);
        return 'pass';
      }
      case 'register': {
        const slot = c.name === undefined ? current : named.get(c.name) ?? { missing: `no module is named "${c.name}"` };
        if ('missing' in slot) {
          registered.delete(c.as);
          throw new CommandFailed(`Cannot register "${c.as}": ${slot.missing}`);
        }
        registered.set(c.as, slot.instance);
        return 'pass';
      }
      case 'action': {
        const r = perform(c.action, (c.expected ?? []).map((e) => parseExpected(e, refs)));
        if (!r.ok) throw new CommandFailed(`Action ${c.action.field} failed: ${failureText(r.failure)}`);
        return 'pass';
      }
      case 'assert_return': {
        const expected = (c.expected ?? []).map((e) => parseExpected(e, refs));
        const r = perform(c.action, expected);
        if (!r.ok) throw new CommandFailed(`Expected results, got ${failureText(r.failure)}`);
        checkResults(expected, r.value, refs);
        return 'pass';
      }
      case 'assert_trap':
        expectFailure(perform(c.action, (c.expected ?? []).map((e) => parseExpected(e, refs))), ['trap'], `trap "${c.text ?? ''}"`);
        return 'pass';
      case 'assert_exhaustion':
        expectFailure(perform(c.action, (c.expected ?? []).map((e) => parseExpected(e, refs))), ['exhaustion'], `exhaustion "${c.text ?? ''}"`);
        return 'pass';
      case 'assert_malformed':
      case 'assert_invalid': {
        if (c.module_type === 'text') {
          if (c.type === 'assert_malformed') return 'skip';
          throw new CommandFailed(`Text module ${c.filename} cannot be checked by a binary engine`);
        }
        const what = `${c.type === 'assert_malformed' ? 'malformed' : 'invalid'} module "${c.text}"`;
        expectFailure(getSession().compile(readModule(c.filename)), COMPILE_KINDS[c.type], what);
        return 'pass';
      }
      case 'assert_unlinkable':
        expectFailure(compile(c.filename).instantiate(registered), ['unlinkable'], `link error "${c.text}"`);
        return 'pass';
      case 'assert_uninstantiable':
        expectFailure(compile(c.filename).instantiate(registered), ['trap'], `instantiation trap "${c.text}"`);
        return 'pass';
      default:
        throw new CommandFailed(`Unknown command type "${String((c as { type: unknown }).type)}"`);
    }
  };

  for (const c of script.commands) {
    try {
      if (runCommand(c) === 'skip') skipped++;
      else passed++;
    } catch (e) {
      const message = e instanceof CommandFailed ? e.message : `Runner or adapter threw ${describeThrown(e)}`;
      failures.push({ file: name, line: c.line, command: c.type, message: withTarget(c, message) });
    }
  }
  return { name, passed, failed: failures.length, skipped, failures };
}

function checkResults(expected: readonly Expected[], actual: readonly SpecValue[], refs: HostRefs): void {
  if (actual.length !== expected.length) {
    throw new CommandFailed(`Expected ${expected.length} results, got ${actual.length}`);
  }
  const problems: string[] = [];
  expected.forEach((e, i) => {
    const m = mismatch(e, actual[i] as SpecValue, refs);
    if (m !== undefined) problems.push(expected.length === 1 ? m : `result ${i}: ${m}`);
  });
  if (problems.length > 0) throw new CommandFailed(problems.join('; '));
}

function failureText(f: EngineFailure): string {
  return `${f.kind}: ${f.message}`;
}

/** Prefixes a failure with the export or module file the command is about. */
function withTarget(c: Command, message: string): string {
  if ('action' in c && c.action !== undefined) return `${c.action.field}(${argsText(c.action)}): ${message}`;
  if ('filename' in c) return `${c.filename}: ${message}`;
  return message;
}

function argsText(a: JsonAction): string {
  return (a.args ?? []).map((v) => `${v.type} ${typeof v.value === 'string' ? v.value : JSON.stringify(v.value)}`).join(', ');
}

/** Runs script files in order; `onScript` sees each result as it is made. Never throws. */
export function runFiles(engine: SpecEngine, files: readonly string[], onScript?: (r: ScriptResult) => void): Summary {
  const scripts: ScriptResult[] = [];
  for (const file of files) {
    const r = runFile(engine, file);
    scripts.push(r);
    onScript?.(r);
  }
  return {
    passed: scripts.reduce((n, s) => n + s.passed, 0),
    failed: scripts.reduce((n, s) => n + s.failed, 0),
    skipped: scripts.reduce((n, s) => n + s.skipped, 0),
    scripts,
  };
}

/** Loads and runs one script file; a file that cannot be read counts as one failure. */
export function runFile(engine: SpecEngine, file: string): ScriptResult {
  let loaded: LoadedScript;
  try {
    loaded = loadScript(file);
  } catch (e) {
    const name = file.replace(/^.*\//, '').replace(/\.json$/, '');
    const failure: CommandFailure = { file: name, line: 0, command: 'module', message: `Cannot load script: ${describeThrown(e)}` };
    return { name, passed: 0, failed: 1, skipped: 0, failures: [failure] };
  }
  return runScript(engine, loaded);
}

/** `name: P passed, F failed, S skipped` */
export function scriptLine(r: ScriptResult): string {
  return `${r.name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`;
}

/** `N passed, N failed, N skipped` */
export function summaryLine(s: Pick<Summary, 'passed' | 'failed' | 'skipped'>): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
}

/** `file.json:LINE command: message` */
export function failureLine(f: CommandFailure): string {
  return `${f.file}.json:${f.line} ${f.command}: ${f.message}`;
}
