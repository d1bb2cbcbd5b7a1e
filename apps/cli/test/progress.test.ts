import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type CommandContext, progressFor } from '../src/context.js'
import { Progress } from '../src/progress.js'

class FakeStream {
  written = ''
  columns = 100
  constructor(readonly isTTY: boolean) {}
  write(text: string): boolean {
    this.written += text
    return true
  }
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('Progress', () => {
  it('draws nothing for an operation shorter than the delay', () => {
    const stream = new FakeStream(true)
    const bar = new Progress(stream, 'put a', { enabled: true, now: Date.now })
    bar.update({ bytes: 10, total: 100 })
    vi.advanceTimersByTime(900)
    bar.finish()
    expect(stream.written).toBe('')
  })

  it('draws a bar in place after the delay and erases it when finished', () => {
    const stream = new FakeStream(true)
    const bar = new Progress(stream, 'put a', { enabled: true, now: Date.now })
    bar.update({ bytes: 50 * 1024 * 1024, total: 100 * 1024 * 1024 })
    vi.advanceTimersByTime(2000)
    const ERASE_TO_END = '\x1b[K'
    const first = `\rput a  [##########----------]   50%  50.0 MiB / 100 MiB  50.0 MiB/s${ERASE_TO_END}\r`
    expect(stream.written.slice(0, first.length)).toBe(first)
    expect(stream.written).toContain('25.0 MiB/s')
    const drawn = stream.written.length
    bar.finish()
    expect(stream.written.slice(drawn)).toBe('\r\x1b[K')
    vi.advanceTimersByTime(5000)
    expect(stream.written.length).toBe(drawn + 4)
  })

  it('without bytes it shows the phase and the elapsed time, cut to the terminal width', () => {
    const stream = new FakeStream(true)
    stream.columns = 30
    const bar = new Progress(stream, 'verify every asset in the catalogue', { enabled: true, now: Date.now })
    bar.setPhase('re-hashing…')
    vi.advanceTimersByTime(3000)
    const line = bar.render()
    expect(line.length).toBeLessThanOrEqual(29)
    expect(line.endsWith('…')).toBe(true)
    stream.columns = 200
    expect(bar.render()).toBe('verify every asset in the catalogue  re-hashing…  3s')
    bar.finish()
  })

  it('never draws when disabled (not a terminal, --quiet or --json)', () => {
    const stream = new FakeStream(false)
    const bar = new Progress(stream, 'put a', { enabled: false, now: Date.now })
    bar.update({ bytes: 1, total: 2 })
    vi.advanceTimersByTime(10_000)
    bar.finish()
    expect(stream.written).toBe('')
  })
})

describe('progressFor', () => {
  const drawnFor = (isTTY: boolean, flags: { quiet?: boolean; json?: boolean }) => {
    const stream = new FakeStream(isTTY)
    const ctx = { out: { streams: { stderr: stream } }, globals: { quiet: false, json: false, debug: false, ...flags } } as unknown as CommandContext
    const bar = progressFor(ctx, 'get a', {})
    bar.update({ bytes: 1, total: 2 })
    vi.advanceTimersByTime(1500)
    bar.finish()
    return stream.written !== ''
  }

  it('waits ASSETS_PROGRESS_DELAY_MS before drawing', () => {
    const stream = new FakeStream(true)
    const ctx = { out: { streams: { stderr: stream } }, globals: { quiet: false, json: false, debug: false } } as unknown as CommandContext
    const bar = progressFor(ctx, 'get a', { ASSETS_PROGRESS_DELAY_MS: '3000' })
    vi.advanceTimersByTime(2900)
    expect(stream.written).toBe('')
    vi.advanceTimersByTime(200)
    expect(stream.written).not.toBe('')
    bar.finish()
  })

  it('draws only on a terminal, and never with --quiet or --json', () => {
    expect(drawnFor(true, {})).toBe(true)
    expect(drawnFor(false, {})).toBe(false)
    expect(drawnFor(true, { quiet: true })).toBe(false)
    expect(drawnFor(true, { json: true })).toBe(false)
  })
})
