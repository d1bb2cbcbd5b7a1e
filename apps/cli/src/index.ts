export { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, run, type RunOptions } from './cli.js'
export { parseScalar, parseWhere } from './where-parser.js'
