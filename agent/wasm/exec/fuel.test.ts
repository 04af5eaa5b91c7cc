// Exact fuel charges of the translator: per basic block, from DEFAULT_FUEL_COSTS, with nothing
// charged for code that cannot run.

import { describe, expect, it } from 'vitest';
import { wat } from '../../../test/fuzz/wat.ts';
import { hostFunc, Instance, Module, Pending, Store } from '../index.ts';

function call(text: string, fuelPerCall: number, imports = {}) {
  const r = Instance.instantiate(new Store(), Module.compile(wat(text)), imports, { limits: { fuelPerCall } });
  if (r.kind !== 'done') throw new Error(r.kind);
  return r.value.func('f').call();
}

describe('fuel charges', () => {
  it('charges a straight-line function once, by the cost table (const, const, add, end)', () => {
    const r = call('(module (func (export "f") (result i32) (i32.add (i32.const 1) (i32.const 2))))', 100);
    expect(r).toMatchObject({ kind: 'done', value: [3], fuelUsed: 4 });
  });

  it('charges one unit per iteration of `loop br 0` and nothing for the unreachable code after it', () => {
    const tail = ' i32.const 1 drop'.repeat(50);
    const r = call(`(module (func (export "f") loop br 0 end${tail}))`, 1000);
    expect(r.kind).toBe('suspended');
    // The entry block holds `loop` (1 unit); each iteration is the loop body `br 0` (1 unit).
    expect(r.fuelUsed).toBe(1000);
  });

  it('a call that traps reports the fuel of the blocks it entered', () => {
    const r = call('(module (func (export "f") (drop (i32.div_s (i32.const 1) (i32.const 0)))))', 100);
    expect(r.kind).toBe('trap');
    // const 1, const 1, div (2), drop 1, end 1
    expect(r.fuelUsed).toBe(6);
  });

  it('a failed host wait becomes a host-error trap at the call', () => {
    const read = hostFunc({ params: [], results: [0x7f] }, () => new Pending(), { name: 'read' });
    const r = call('(module (import "h" "read" (func $r (result i32))) (func (export "f") (result i32) (call $r)))', 100, { h: { read } });
    expect(r.kind).toBe('suspended');
    if (r.kind !== 'suspended') return;
    const t = r.call.fail(new Error('port closed'));
    expect(t.kind).toBe('trap');
    if (t.kind === 'trap') {
      expect(t.trap.kind).toBe('host-error');
      expect(t.trap.message).toContain('port closed');
      expect(t.trap.backtrace.length).toBe(1);
    }
  });
});
