// Typed errors of fleetlet's rollouts: a refused target, wave plan, configuration, command or stored record.

/** Stable codes; callers branch on these, never on messages. */
export type RolloutErrorCode =
  | 'empty-target'
  | 'unknown-devices'
  | 'duplicate-devices'
  | 'bad-selector'
  | 'bad-wave-plan'
  | 'bad-config'
  | 'not-allowed'
  | 'bad-rollback-release'
  | 'bad-record';

export class RolloutError extends Error {
  override readonly name = 'RolloutError';
  constructor(
    readonly code: RolloutErrorCode,
    message: string,
    /** The rollout concerned, when there is one. */
    readonly rolloutId?: string,
  ) {
    super(rolloutId === undefined ? message : `Rollout "${rolloutId}": ${message}`);
  }
}
