import { readFileSync } from 'node:fs'

// Bit 1 of the effective capabilities: CAP_DAC_OVERRIDE, which lets a process write any file.
const CAP_DAC_OVERRIDE = 1n << 1n

let answer: boolean | undefined

/**
 * Whether a file's read-only mode stops this process from writing it. Not for root, nor for a
 * process holding CAP_DAC_OVERRIDE (root in a container, some service users): the kernel lets
 * them write whatever the mode says. A hard link shared by two stores is protected by its
 * mode alone, so the caches accept one only when this is true (or their user chose links).
 */
export function readOnlyModesHold(): boolean {
  answer ??= computeAnswer()
  return answer
}

function computeAnswer(): boolean {
  if (typeof process.geteuid !== 'function') return true
  try {
    // The capability decides, not the uid: root that dropped CAP_DAC_OVERRIDE is refused a
    // write to its own read-only file like anyone else.
    const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
    if (effective !== undefined) return (BigInt(`0x${effective}`) & CAP_DAC_OVERRIDE) === 0n
  } catch {
    // No /proc (macOS): root writes anything there, an ordinary process has no such power.
  }
  return process.geteuid() !== 0
}
