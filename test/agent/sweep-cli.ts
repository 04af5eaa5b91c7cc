// `npm run sweep:crash`: fleetlet's full crash-point sweep of the slot store (every persistence step of both update
// paths, plus random kill points; `--random N`, `--seed S`), printing the number of kill points tried and any failure.

import { dropWorld, killPlan, makeWorld, runPlan } from './crash-kit.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const random = arg('random', 200);
const seed = arg('seed', Date.now() % 1_000_000);
const started = Date.now();
const world = await makeWorld();
try {
  const plan = await killPlan(world, random, seed);
  const results = await runPlan(world, plan);
  const bad = results.map((r, i) => ({ r, k: plan[i]! })).filter(({ r }) => r.problems.length > 0);
  for (const { r, k } of bad) process.stdout.write(`FAIL ${JSON.stringify(k)}: ${r.problems.join('; ')}\n`);
  const killed = results.filter((r) => r.killed).length;
  const onNew = results.filter((r) => r.endedOn === 2).length;
  process.stdout.write(
    `crash sweep (seed ${seed}): ${plan.length} kill points (${plan.length - random} every-step, ${random} random), ${killed} children killed, ` +
    `${results.length - onNew} ended on version 1, ${onNew} on version 2, ${bad.length} bad runs, ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  process.exitCode = bad.length === 0 ? 0 : 1;
} finally {
  await dropWorld(world);
}
