// Run by `pnpm test` before any test: brings what the tests need besides node_modules, so the
// README's test command works on a fresh machine. The Debian packages in test-packages.txt (the
// test servers and fixture writers) are installed when missing and this runs as root on Debian;
// PostgreSQL (127.0.0.1:5432), MariaDB (127.0.0.1:3306) and Redis (127.0.0.1:6379) are started
// when they are not answering and their Debian start commands are here. Anything it cannot
// bring is named, with the command that brings it, and it exits 1: a test must fail for a
// missing service, never skip.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

const here = fileURLToPath(new URL('.', import.meta.url))
const isRoot = process.getuid?.() === 0
// dpkg refuses to run without the sbin folders on PATH (ldconfig, start-stop-daemon live there),
// and a plain user PATH such as /usr/local/bin:/usr/bin:/bin lacks them.
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin']
const adminEnv = { ...process.env, PATH: [process.env.PATH ?? '', ...SBIN].filter((p) => p !== '').join(delimiter) }
const problems = []

await debianPackages()
for (const service of services()) await ensureService(service)

if (problems.length > 0) {
  console.error(`\nThe tests cannot run yet:\n${problems.map((p) => `- ${p}`).join('\n')}\n`)
  process.exit(1)
}

async function debianPackages() {
  const wanted = readFileSync(join(here, 'test-packages.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name, probe, role] = line.split(/\s+/)
      return { name, probe, benchOnly: role === 'bench' }
    })
  const onDebian = found('dpkg-query') && found('apt-get')
  const missing = wanted.filter((p) => (onDebian ? !dpkgInstalled(p.name) : !probeFinds(p.probe)))
  if (missing.length === 0) return
  const names = missing.map((p) => p.name).join(' ')
  // A benchmark's baseline (pooch, aria2c) is installed along with the rest where this can
  // install, but its absence never stops the tests: the benchmarks leave its rows out.
  if ((!onDebian || !isRoot) && missing.every((p) => p.benchOnly)) {
    console.warn(`not installed, used only by bench/ as baselines (their rows are left out): ${names}`)
    return
  }
  if (!onDebian) {
    problems.push(
      `missing test tools (Debian package names): ${names}. Install their equivalents for this system ` +
        '(Ceph with radosgw, nginx with the WebDAV ext module, awscli, Python 3 with anndata, zarr, h5py, boto3; pooch and aria2c for the benchmarks), ' +
        'or run the tests on Debian 12, where `pnpm test` as root installs them itself.',
    )
    return
  }
  if (!isRoot) {
    problems.push(`missing Debian packages: ${names}. Install them with: sudo apt-get install --no-install-recommends ${names}`)
    return
  }
  console.log(`installing the Debian packages the tests need: ${names}`)
  const env = { ...adminEnv, DEBIAN_FRONTEND: 'noninteractive' }
  for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...missing.map((p) => p.name)]]) {
    const result = spawnSync('apt-get', args, { env, encoding: 'utf8', maxBuffer: 64 << 20 })
    if (result.status !== 0) {
      const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n')
      problems.push(`apt-get ${args.join(' ')} failed (exit ${result.status}):\n${tail}`)
      return
    }
  }
}

function dpkgInstalled(name) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' })
  return result.status === 0 && result.stdout.trim() === 'install ok installed'
}

function probeFinds(probe) {
  const [kind, what] = probe.split(':')
  if (kind === 'python') return spawnSync('python3', ['-c', `import ${what}`], { stdio: 'ignore' }).status === 0
  return found(what)
}

/** On PATH, or in an sbin folder (Debian's nginx and mariadbd live there; a user's PATH may lack it). */
function found(command) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SBIN]
  return dirs.some((dir) => dir !== '' && existsSync(join(dir, command)))
}

function services() {
  const pgVersions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort() : []
  return [
    {
      name: 'PostgreSQL',
      port: 5432,
      start: pgVersions.length > 0 && found('pg_ctlcluster') ? [['pg_ctlcluster', '--skip-systemctl-redirect', pgVersions[0], 'main', 'start']] : null,
      how: 'start PostgreSQL on 127.0.0.1:5432 with trust authentication for local connections and a database named test',
      // Answering is not enough: the tests connect as postgres, without a password, to `test`.
      usable: () => {
        if (!found('psql')) return
        const probe = spawnSync('psql', ['-h', '127.0.0.1', '-p', '5432', '-U', 'postgres', '-d', 'test', '-w', '-tAc', 'SELECT 1'], { encoding: 'utf8' })
        if (probe.status !== 0) {
          problems.push(`PostgreSQL answers on 127.0.0.1:5432, but not to user postgres on database test without a password: ${(probe.stderr ?? '').trim()}`)
        }
      },
    },
    {
      name: 'MariaDB',
      port: 3306,
      // As the mysql user whatever the config files say: mariadbd refuses to run as root.
      start:
        found('mariadbd') && found('start-stop-daemon')
          ? [['start-stop-daemon', '--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd', '--', '--user=mysql']]
          : null,
      // Its socket folder lives in /run, which a reboot empties.
      setup: () => {
        mkdirSync('/run/mysqld', { recursive: true })
        spawnSync('chown', ['mysql:mysql', '/run/mysqld'], { env: adminEnv })
      },
      how: 'start MariaDB (or MySQL 8) on 127.0.0.1:3306 with a user root@127.0.0.1 without a password and a database named test',
      // Answering is not enough: the tests connect over TCP as root without a password. A fresh
      // Debian install lets root in through the socket only; as root, that is set up here.
      usable: () => {
        if (!found('mariadb')) return
        const probe = () => spawnSync('mariadb', ['-h', '127.0.0.1', '-P', '3306', '-u', 'root', '--skip-password', '-D', 'test', '-e', 'SELECT 1'], { encoding: 'utf8' })
        let result = probe()
        if (result.status !== 0 && isRoot) {
          const setupSql =
            "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; CREATE DATABASE IF NOT EXISTS test;"
          spawnSync('mariadb', ['-u', 'root', '-e', setupSql], { encoding: 'utf8', env: adminEnv })
          result = probe()
        }
        if (result.status !== 0) {
          problems.push(`MariaDB answers on 127.0.0.1:3306, but not to root without a password on database test: ${(result.stderr ?? '').trim()}`)
        }
      },
    },
    {
      name: 'Redis',
      port: 6379,
      start: found('redis-server')
        ? [['redis-server', '--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/tests.log']]
        : null,
      setup: () => ['/var/lib/redis', '/var/log/redis'].forEach((dir) => mkdirSync(dir, { recursive: true })),
      how: 'start Redis on 127.0.0.1:6379 (redis-server --port 6379 --bind 127.0.0.1)',
    },
  ]
}

async function ensureService(service) {
  if (await answers(service.port)) return service.usable?.()
  if (!isRoot || service.start === null) {
    problems.push(`${service.name} is not answering on 127.0.0.1:${service.port}: ${service.how}`)
    return
  }
  console.log(`starting ${service.name} for the tests`)
  service.setup?.()
  for (const [command, ...args] of service.start) spawnSync(command, args, { stdio: 'inherit', env: adminEnv })
  for (let i = 0; i < 60; i++) {
    if (await answers(service.port)) return service.usable?.()
    await sleep(500)
  }
  problems.push(`${service.name} did not start on 127.0.0.1:${service.port}: ${service.how}`)
}

function answers(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.setTimeout(2000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(false))
  })
}
