// The team stack's services: a fresh PostgreSQL database and a Ceph RADOS Gateway with a bucket.
import { teamServicesSetup } from '../../team-stack/test/fixtures/team-services.js'

export default teamServicesSetup({ databasePrefix: 'assets_cli', bucket: 'assets-cli' })
