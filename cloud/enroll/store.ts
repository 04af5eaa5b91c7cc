// Where the cloud keeps enrolled devices: an interface (the cloud's database backs it later) and an in-memory store.
// Only a hash of each broker password is kept, never the password.

/** One enrolled device. */
export interface EnrolledDevice {
  readonly deviceId: string;
  readonly deviceClass: string;
  /** The device's Ed25519 public key (it signed its request with it). */
  readonly publicKey: Uint8Array;
  /** The device's X25519 box key its credentials were sealed to. */
  readonly boxKey: Uint8Array;
  /** SHA-256 of the broker password (the password is 32 random bytes: a plain hash is enough). */
  readonly passwordHash: Uint8Array;
  readonly enrolledAtMs: number;
  /** When the device first logged in with its credentials; until then it may ask again and gets the same answer. */
  readonly confirmedAtMs?: number;
}

export interface EnrollmentStore {
  get(deviceId: string): Promise<EnrolledDevice | undefined>;
  put(device: EnrolledDevice): Promise<void>;
  delete(deviceId: string): Promise<void>;
  list(): Promise<readonly EnrolledDevice[]>;
}

export class MemoryEnrollmentStore implements EnrollmentStore {
  private readonly devices = new Map<string, EnrolledDevice>();

  async get(deviceId: string): Promise<EnrolledDevice | undefined> {
    return this.devices.get(deviceId);
  }

  async put(device: EnrolledDevice): Promise<void> {
    this.devices.set(device.deviceId, device);
  }

  async delete(deviceId: string): Promise<void> {
    this.devices.delete(deviceId);
  }

  async list(): Promise<readonly EnrolledDevice[]> {
    return [...this.devices.values()];
  }
}
