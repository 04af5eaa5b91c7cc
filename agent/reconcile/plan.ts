// The reconciler's plan: compares the verified desired state with what the device has and says, per module, what to
// do. Pure data in, data out, so every case is a table test; the agent (agent/agent.ts) carries the plan out.

/** A module the desired state asks for (its manifest already verified). */
export interface WantedModule {
  readonly name: string;
  /** SHA-256 of the signed manifest, hex. */
  readonly manifestDigest: string;
  readonly settings: Readonly<Record<string, string>>;
}

/** A module the device has installed (an active slot). */
export interface InstalledModule {
  readonly name: string;
  readonly manifestDigest: string;
  /** The settings it runs with now (undefined when it is not running). */
  readonly settings: Readonly<Record<string, string>> | undefined;
}

export type PlanStep =
  /** Download and install a new module or a new version (through the update machine). */
  | { readonly op: 'install'; readonly name: string; readonly wanted: WantedModule; readonly update: boolean }
  /** Same version, other settings (or not running): (re)start it with the wanted settings. */
  | { readonly op: 'restart'; readonly name: string; readonly wanted: WantedModule }
  /** The desired state no longer lists it: stop it and remove its slots. */
  | { readonly op: 'remove'; readonly name: string }
  /** This version failed on this device before and the desired state has not changed: keep what runs. */
  | { readonly op: 'skip-failed'; readonly name: string; readonly wanted: WantedModule }
  /** Nothing to do. */
  | { readonly op: 'keep'; readonly name: string };

const sameSettings = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
};

/**
 * Plans one desired state: removals first (they free memory and hardware), then restarts, then installs, each group
 * in the desired state's order. `failed` holds the manifest digests the update machine remembers as failed.
 */
export function planReconcile(wanted: readonly WantedModule[], installed: readonly InstalledModule[], failed: ReadonlySet<string>): PlanStep[] {
  const want = new Map(wanted.map((w) => [w.name, w]));
  const removes: PlanStep[] = [];
  const restarts: PlanStep[] = [];
  const installs: PlanStep[] = [];
  const keeps: PlanStep[] = [];
  for (const i of installed) if (!want.has(i.name)) removes.push({ op: 'remove', name: i.name });
  const have = new Map(installed.map((i) => [i.name, i]));
  for (const w of wanted) {
    const i = have.get(w.name);
    if (i !== undefined && i.manifestDigest === w.manifestDigest) {
      if (i.settings === undefined || !sameSettings(i.settings, w.settings)) restarts.push({ op: 'restart', name: w.name, wanted: w });
      else keeps.push({ op: 'keep', name: w.name });
    } else if (failed.has(w.manifestDigest)) {
      installs.push({ op: 'skip-failed', name: w.name, wanted: w });
    } else {
      installs.push({ op: 'install', name: w.name, wanted: w, update: i !== undefined });
    }
  }
  return [...removes, ...restarts, ...installs, ...keeps];
}
