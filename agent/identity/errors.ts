// The typed errors of the device identity: a damaged or mismatched identity is refused, never silently replaced.

/** Stable reasons (tests match on them; never rename one). */
export type IdentityErrorCode = 'corrupt' | 'device-id-mismatch' | 'device-class-mismatch' | 'bad-device-id' | 'bad-device-class';

/** The device identity in a data directory cannot be used as it is. */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  constructor(
    readonly code: IdentityErrorCode,
    /** The file or directory concerned. */
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** Something `DeviceIdentityStore.open` repaired and reports (the agent logs it). */
export interface IdentityWarning {
  readonly code: 'key-mode-fixed' | 'dir-mode-fixed';
  readonly path: string;
  /** The mode found (the low 9 bits). */
  readonly foundMode: number;
  readonly message: string;
}
