// Sizes of fleetlet's costly test suites, read from the environment: an explicit count variable
// wins, else `FLEETLET_PROFILE` picks a size (`ci` and unset: the default; `full`: ten times it).

/**
 * The count a suite should run.
 * @throws Error when the explicit variable is set but is not a positive integer
 */
export function suiteSize(countVar: string, defaultCount: number): number {
  const explicit = process.env[countVar];
  if (explicit !== undefined && explicit !== '') {
    const n = Number(explicit);
    if (!Number.isInteger(n) || n < 1) throw new Error(`Cannot size the suite: ${countVar} is "${explicit}", not a positive integer`);
    return n;
  }
  const profile = process.env['FLEETLET_PROFILE'] ?? 'ci';
  return profile === 'full' ? defaultCount * 10 : defaultCount;
}
