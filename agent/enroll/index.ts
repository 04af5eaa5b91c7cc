// Device-side enrollment: the public surface (re-exports only).
export { enroll, buildEnrollmentRequest, DEFAULT_AGENT_VERSION } from './enroll.ts';
export type { EnrollOptions, EnrollEvent } from './enroll.ts';
export { EnrollmentError } from './errors.ts';
export type { EnrollmentErrorCode } from './errors.ts';
export { loadEnrollment, saveEnrollment, CREDENTIALS_FILE, ENROLLMENT_FILE } from './state.ts';
export type { BrokerCredentials, EnrollmentResult } from './state.ts';
export { checkPinnedRoots, parseRoots } from './roots.ts';
