// Child-process entry of the mutation fuzzer: answers each input with the subject's verdict.

import { compileJob, prepareCompiler, type CompileResult, type MutateSubject } from './mutate-run.ts';
import { serveJobs } from './pool.ts';

await prepareCompiler((process.env['FUZZ_SUBJECT'] as MutateSubject | undefined) ?? 'fleetlet');
serveJobs<Uint8Array, CompileResult>(compileJob);
