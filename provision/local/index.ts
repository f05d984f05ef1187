// The embedded IAM/STS endpoint: `provision local-aws` and `provision --local` start it.
export { startLocalAws, localAwsHolder, lockPathOf, type LocalAws, type LocalAwsOptions, type Fixture } from './server.js';
export { runLocalAwsCommand, defaultStatePath, banner, resyncWindowOf, DEFAULT_PORT, type LocalAwsCommandOptions, type CommandIo } from './command.js';
export { AwsError, LocalAwsError, type LocalCode } from './errors.js';
export { FIXTURE, fixtureTrustPolicy } from './state.js';
