// The cloud's enrollment service: the public surface (re-exports only).
export { EnrollmentService, EnrollmentServiceError, ENROLL_REQUEST_FILTER, sealCredentials } from './service.ts';
export type { EnrollmentDecision, EnrollmentDecisions, EnrollmentServiceErrorCode, EnrollmentServiceOptions, EnrollmentStats, PendingEnrollment } from './service.ts';
export { MemoryEnrollmentStore } from './store.ts';
export type { EnrolledDevice, EnrollmentStore } from './store.ts';
