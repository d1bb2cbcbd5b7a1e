// aria2c, the parallel downloader issue 14 names as the model for ranged downloads, as a baseline
// doing the plugins' job: 8 connections, pieces of at least 8 MiB (-x8 -s8 -k8M), and with `hex`
// the sha256 checked (--checksum, which aria2c verifies by reading the finished file). Debian's
// `aria2` package, brought by scripts/test-prerequisites.mjs; a run without it prints why.
import { spawnSync } from 'node:child_process'
import { basename, dirname } from 'node:path'

export const hasAria2c = spawnSync('aria2c', ['--version'], { stdio: 'ignore' }).status === 0

/** The arguments of one download of `url` to the file `out`, replaced if there. */
export function aria2cArgs(url, out, hex) {
  return [
    '--quiet=true',
    '--allow-overwrite=true',
    '--auto-file-renaming=false',
    '--file-allocation=none',
    '--max-connection-per-server=8',
    '--split=8',
    '--min-split-size=8M',
    ...(hex === undefined ? [] : [`--checksum=sha-256=${hex}`]),
    `--dir=${dirname(out)}`,
    `--out=${basename(out)}`,
    url,
  ]
}
