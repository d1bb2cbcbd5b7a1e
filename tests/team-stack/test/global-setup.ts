import { teamServicesSetup } from './fixtures/team-services.js'

export default teamServicesSetup({ databasePrefix: 'assets_team', bucket: 'assets-team' })
