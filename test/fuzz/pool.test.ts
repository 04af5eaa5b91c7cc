// Tests for the fuzzers' child-process pool: results come back, and hangs, crashes and thrown
// errors become per-job failures without stopping the other jobs.

import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runPool } from './pool.ts';

const fixture = fileURLToPath(new URL('./pool-fixture-worker.ts', import.meta.url));

describe('runPool', () => {
  it('runPool reports a hang, a dead worker and a thrown error per job and still runs the rest', async () => {
    const jobs = ['a', 'hang', 'b', 'die', 'c', 'throw', 'd'];
    const results = new Map<string, string>();
    const failures = new Map<string, string>();
    await runPool<string, string>(jobs, {
      workerScript: fixture,
      workers: 2,
      timeoutMs: 3000,
      onResult: (job, r) => results.set(job, r),
      onFailure: (job, reason) => failures.set(job, reason),
    });
    expect(Object.fromEntries(results)).toEqual({ a: 'done a', b: 'done b', c: 'done c', d: 'done d' });
    expect([...failures.keys()].sort()).toEqual(['die', 'hang', 'throw']);
    expect(failures.get('hang')).toMatch(/hang/);
    expect(failures.get('die')).toMatch(/exit code 3/);
    expect(failures.get('throw')).toMatch(/Planted failure/);
  });

  it('runPool gives up on a worker script that dies while starting and fails every job', async () => {
    const failures: string[] = [];
    await runPool<string, string>(['a', 'b', 'c', 'd'], {
      workerScript: fixture,
      workers: 1,
      timeoutMs: 3000,
      env: { FIXTURE_FAIL_AT_START: '1' },
      onResult: () => { throw new Error('No job can succeed'); },
      onFailure: (job, reason) => failures.push(`${job}: ${reason}`),
    });
    expect(failures.sort()).toEqual(['a', 'b', 'c', 'd'].map((j) => `${j}: Not run: three workers in a row died while starting`));
  });

  it('runPool with no workers runs jobs in process and reports thrown errors', async () => {
    const seen: string[] = [];
    await runPool<number, number>([1, 2, 3], {
      workerScript: fixture,
      workers: 0,
      timeoutMs: 1000,
      inProcess: (n) => { if (n === 2) throw new Error('two'); return n * 10; },
      onResult: (n, r) => seen.push(`${n}=${r}`),
      onFailure: (n, reason) => seen.push(`${n}!${reason.split('\n')[0]}`),
    });
    expect(seen).toEqual(['1=10', '2!Job threw Error: two', '3=30']);
  });
});
