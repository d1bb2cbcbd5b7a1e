import { createReadStream } from 'node:fs'

export class CsvSyntaxError extends Error {}

/**
 * Streams the records of an RFC 4180 file (quoted fields, doubled quotes, CRLF or LF, line
 * breaks inside quotes) one at a time, never holding more than one record.
 */
export async function* readRecords(path: string, delimiter: string, signal?: AbortSignal): AsyncGenerator<string[]> {
  let field = ''
  let record: string[] = []
  let quoted = false
  let afterQuote = false
  let atFieldStart = true
  let line = 1
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20, signal })) {
    const text = chunk as string
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!
      if (quoted) {
        if (c === '"') {
          quoted = false
          afterQuote = true
        } else {
          if (c === '\n') line++
          field += c
        }
        continue
      }
      if (c === '"') {
        if (afterQuote) {
          // A doubled quote inside a quoted field.
          field += '"'
          quoted = true
          afterQuote = false
        } else if (atFieldStart) {
          quoted = true
        } else {
          throw new CsvSyntaxError(`line ${line}: a quote inside an unquoted field`)
        }
        atFieldStart = false
        continue
      }
      if (c === delimiter) {
        record.push(field)
        field = ''
        afterQuote = false
        atFieldStart = true
      } else if (c === '\n') {
        if (field.endsWith('\r') && !afterQuote) field = field.slice(0, -1)
        record.push(field)
        yield record
        record = []
        field = ''
        afterQuote = false
        atFieldStart = true
        line++
      } else if (c === '\r' && (afterQuote || atFieldStart)) {
        // The CR of a CRLF right after a closing quote or an empty field.
      } else {
        if (afterQuote) throw new CsvSyntaxError(`line ${line}: text after a closing quote`)
        field += c
        atFieldStart = false
      }
    }
  }
  if (quoted) throw new CsvSyntaxError(`line ${line}: a quoted field is never closed`)
  if (field !== '' || record.length > 0 || !atFieldStart) {
    record.push(field)
    yield record
  }
}
