// A module's granted capabilities: what its manifest declares, narrowed by the device's policy
// (`covers` from schemas), and the per-call questions the host API asks of them (this pin as an
// output? this sensor? this topic?).

import {
  CAPABILITY_KINDS,
  capabilitySyntax,
  covers,
  filterCovers,
  parseCapability,
  type Capability,
  type CapabilityKindName,
} from '../../schemas/capabilities.ts';

/** Why a module lacks a capability kind: its manifest never asked, or the device refused. */
export type MissingReason = 'not-declared' | 'not-granted';

export class Grants {
  private constructor(
    /** The declared capabilities the device policy covers: what the module may use. */
    readonly effective: readonly Capability[],
    /** The declared capabilities no device grant covers. */
    readonly refused: readonly Capability[],
  ) {}

  /**
   * Grants from a manifest's capability texts and the device's grant texts (which may use `*`).
   * `deviceGrants` undefined grants everything declared (`fleetlet run`, tests).
   * @throws CapabilityError when a text does not parse
   */
  static from(declared: readonly string[], deviceGrants?: readonly string[]): Grants {
    const requests = declared.map((t) => parseCapability(t));
    if (deviceGrants === undefined) return new Grants(requests, []);
    const grants = deviceGrants.map((t) => parseCapability(t, { grant: true }));
    const effective: Capability[] = [];
    const refused: Capability[] = [];
    for (const r of requests) (grants.some((g) => covers(g, r)) ? effective : refused).push(r);
    return new Grants(effective, refused);
  }

  /** Whether any granted capability has this kind (what linking an import needs). */
  hasKind(kind: CapabilityKindName): boolean {
    return this.effective.some((c) => c.kind === kind);
  }

  /** Why a kind is missing, or undefined when it is granted. */
  missing(kind: CapabilityKindName): MissingReason | undefined {
    if (this.hasKind(kind)) return undefined;
    return this.refused.some((c) => c.kind === kind) ? 'not-granted' : 'not-declared';
  }

  /** The grammar line of a kind, for messages ("gpio:<pin>:<direction>"). */
  static syntax(kind: CapabilityKindName): string {
    return capabilitySyntax(CAPABILITY_KINDS[kind]);
  }

  /** `sensor:<name>:read`. */
  allowsSensor(name: string): boolean {
    return this.some('sensor', (a) => a[0] === name);
  }

  /** `gpio:<pin>:in` for input use, `gpio:<pin>:out` for output use; reading needs either. */
  allowsGpio(pin: number, use: 'in' | 'out' | 'any'): boolean {
    return this.some('gpio', (a) => a[0] === pin && (use === 'any' || a[1] === use));
  }

  /** `serial:<path>:<baud>`. */
  allowsSerial(path: string, baud: number): boolean {
    return this.some('serial', (a) => a[0] === path && a[1] === baud);
  }

  /** `publish:<filter>` whose filter matches the subtopic. */
  allowsPublish(subtopic: string): boolean {
    return this.some('publish', (a) => filterCovers(String(a[0]), subtopic));
  }

  /** The key-value quota in bytes: the largest granted `kv:<size>`, 0 without one. */
  kvQuota(): number {
    let q = 0;
    for (const c of this.effective) if (c.kind === 'kv') q = Math.max(q, Number(c.args[0]));
    return q;
  }

  private some(kind: CapabilityKindName, test: (args: readonly (string | number)[]) => boolean): boolean {
    return this.effective.some((c) => c.kind === kind && test(c.args));
  }
}
