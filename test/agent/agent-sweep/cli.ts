// `npm run sweep:agent`: fleetlet's crash sweep of the real agent (download, write, commit and probation): every
// durable step of the healthy and the rolled-back update, plus random instants (`--random N`, default 200; `--seed S`;
// `--steps N` to spread N step kills instead of all; `--workers W`), then a table of the kill points tried, the
// version each run ended on, the bad runs and the phases hit.

import { agentKillPlan, calibrate, dropAgentSweep, makeAgentSweep, runAgentPlan, tabulate } from './kit.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};
const random = Number(arg('random') ?? 200);
const seed = Number(arg('seed') ?? Date.now() % 1_000_000);
const stepsArg = arg('steps') ?? 'all';
const steps = stepsArg === 'all' ? 'all' : Number(stepsArg);
const workers = Number(arg('workers') ?? 2);
const started = Date.now();
const world = await makeAgentSweep({ workers });
try {
  const cal = { healthy: await calibrate(world, 'healthy'), unhealthy: await calibrate(world, 'unhealthy') };
  for (const c of Object.values(cal)) {
    process.stdout.write(`calibration (${c.verdict}): steps ${c.pointsAtReady + 1}..${c.pointsAtDone}, download over after ${c.downloadMs} ms, settled after ${c.doneMs} ms\n`);
  }
  const plan = agentKillPlan(cal, { steps, random, seed });
  let done = 0;
  const results = await runAgentPlan(world, plan, (r) => {
    done++;
    if (r.problems.length > 0) process.stdout.write(`FAIL ${JSON.stringify(r.point)} (phase ${r.phase}, ended on ${r.endedOn}):\n  ${r.problems.join('\n  ')}\n`);
    if (done % 25 === 0) process.stdout.write(`… ${done}/${plan.length} kill points\n`);
  });
  const bad = results.filter((r) => r.problems.length > 0).length;
  process.stdout.write(`\nagent crash sweep (seed ${seed}): ${plan.length} kill points tried, ${bad} bad runs, ${((Date.now() - started) / 1000).toFixed(1)} s\n${tabulate(results)}\n`);
  process.exitCode = bad === 0 ? 0 : 1;
} finally {
  await dropAgentSweep(world);
}
