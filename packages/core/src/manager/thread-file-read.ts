/**
 * Worker-side CommonJS shared by the threads' inline sources (threaded-copy-out.ts,
 * threaded-verify.ts), pasted in ahead of their own code: the flags to open a source with, and
 * its bytes read into one buffer reused for every file. Each source keeps its own opening,
 * fstat and wording of what it finds, since what a missing file or a link means differs.
 */
export const FILE_READ_SOURCE = `
const fs = require('node:fs')
// Never through a link (a link is not the file the caller named), and never blocking on a FIFO.
const READ = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK
// One buffer for every file (they are at most a MiB): no allocation per file.
let buffer = Buffer.allocUnsafe(0)
/** Up to want bytes of fd from its start, in the one buffer: valid until the next call. */
function readUpTo(fd, want) {
  if (buffer.length < want) buffer = Buffer.allocUnsafe(want)
  let filled = 0
  while (filled < want) {
    const read = fs.readSync(fd, buffer, filled, want - filled, filled)
    if (read === 0) break
    filled += read
  }
  return buffer.subarray(0, filled)
}
`
