export { cacheSuite, type CacheSuiteOptions } from './cache-suite.js'
export { managerSuite, type ManagerSuiteOptions } from './manager-suite.js'
export { registrySuite, type RegistrySuiteOptions } from './registry-suite.js'
export {
  type SqlServerCases,
  sqlServerRegistrySuite,
  type SqlServerRegistrySuiteOptions,
} from './sql-server-suite.js'
export type { HeldLock, SqlServerFixture, SqlServerNamespace, SqlServerOverrides } from './sql-server-fixture.js'
export { storageSuite, type StorageSuiteOptions } from './storage-suite.js'
export { freePort, programPath, randomKey, temporaryFolder } from './fixtures.js'
export { contentOf, makeRecord, SUITE_OWNER, SUPERUSER_SCOPE, scopeOf } from './record-fixtures.js'
export { scratchStack, type ScratchStack } from './scratch-stack.js'
export { type Rejection, rejection } from './manager-fixtures.js'
export { pausedStorage } from './paused-storage.js'
export { type RegistryFactory, type RegistryJob, type RegistryJobOutcome, runRegistryJobs } from './registry-processes.js'
export { TcpProxy } from './tcp-proxy.js'
