import { spawn } from 'node:child_process'

const CLI = new URL('../apps/cli/dist/bin.js', import.meta.url).pathname

/** Starts `assets serve` (the built command) as a whole process; resolves once it prints its URL. */
export function startServer(env) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    proc.stdout.on('data', (chunk) => {
      out += chunk
      try {
        resolve({ proc, url: JSON.parse(out).url })
      } catch {}
    })
    proc.on('exit', (code) => reject(new Error(`assets serve exited with ${code}: ${out}`)))
  })
}
