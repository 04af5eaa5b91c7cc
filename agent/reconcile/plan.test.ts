import { describe, expect, it } from 'vitest';
import { planReconcile, type InstalledModule, type WantedModule } from './plan.ts';

const want = (name: string, digest: string, settings: Record<string, string> = {}): WantedModule => ({ name, manifestDigest: digest, settings });
const have = (name: string, digest: string, settings: Record<string, string> | undefined = {}): InstalledModule => ({ name, manifestDigest: digest, settings });
const ops = (steps: ReturnType<typeof planReconcile>): string[] => steps.map((s) => `${s.op}:${s.name}`);

describe('planReconcile', () => {
  it('installs what is missing and keeps what matches', () => {
    expect(ops(planReconcile([want('a', '01'), want('b', '02')], [have('a', '01')], new Set()))).toEqual(['install:b', 'keep:a']);
  });
  it('marks a new version of an installed module as an update', () => {
    const [step] = planReconcile([want('a', '02')], [have('a', '01')], new Set());
    expect(step).toMatchObject({ op: 'install', name: 'a', update: true });
    const [first] = planReconcile([want('a', '02')], [], new Set());
    expect(first).toMatchObject({ op: 'install', update: false });
  });
  it('restarts a module whose settings changed, or that is not running, without reinstalling it', () => {
    expect(ops(planReconcile([want('a', '01', { X: '2' })], [have('a', '01', { X: '1' })], new Set()))).toEqual(['restart:a']);
    expect(ops(planReconcile([want('a', '01', { X: '1' })], [have('a', '01', undefined)], new Set()))).toEqual(['restart:a']);
    expect(ops(planReconcile([want('a', '01', { X: '1' })], [have('a', '01', { X: '1', Y: '' })], new Set()))).toEqual(['restart:a']);
    expect(ops(planReconcile([want('a', '01', { X: '1' })], [have('a', '01', { X: '1' })], new Set()))).toEqual(['keep:a']);
  });
  it('removes what the state no longer lists, before anything else', () => {
    expect(ops(planReconcile([want('b', '02', { X: '1' }), want('c', '03')], [have('a', '01'), have('b', '02', {})], new Set()))).toEqual(['remove:a', 'restart:b', 'install:c']);
  });
  it('does not try a version that failed before', () => {
    expect(ops(planReconcile([want('a', '02')], [have('a', '01')], new Set(['02'])))).toEqual(['skip-failed:a']);
    // the same digest installed and running is kept even if it is remembered (it was rolled back to and is good)
    expect(ops(planReconcile([want('a', '01')], [have('a', '01')], new Set(['01'])))).toEqual(['keep:a']);
  });
  it('an empty state removes everything', () => {
    expect(ops(planReconcile([], [have('a', '01'), have('b', '02')], new Set()))).toEqual(['remove:a', 'remove:b']);
  });
});
