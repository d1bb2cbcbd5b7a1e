export { runBenchmarkFlow } from './benchmark-flow.js'
