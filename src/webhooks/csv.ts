// RFC 4180 CSV, read strictly enough that a broken file is named rather than guessed at: quoted fields may
// hold delimiters, line breaks and doubled quotes; a quote anywhere else is an error. Line breaks may be
// CRLF, LF or CR; a leading byte-order mark is dropped; empty lines are skipped. Pure; no dependencies (a
// report needs none of csv-parse's options, and every branch here is tested).

export interface CsvRecord {
  /** The 1-based line of the file the record starts on (a quoted field may span lines). */
  readonly line: number
  readonly fields: string[]
}

export class CsvError extends Error {
  override name = 'CsvError'
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`line ${line}: ${problem}`)
  }
}

const isBreak = (c: string | undefined) => c === '\n' || c === '\r'

/** Past the line break at i (CRLF counts as one). */
const skipBreak = (text: string, i: number) => (text[i] === '\r' && text[i + 1] === '\n' ? i + 2 : i + 1)

function countBreaks(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) if (s[i] === '\n' || (s[i] === '\r' && s[i + 1] !== '\n')) n++
  return n
}

export function parseCsv(input: string, delimiter = ','): CsvRecord[] {
  if (delimiter.length !== 1 || delimiter === '"' || isBreak(delimiter))
    throw new RangeError(`unusable delimiter ${JSON.stringify(delimiter)}`)
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input
  const records: CsvRecord[] = []
  const n = text.length
  let i = 0
  let line = 1
  while (i < n) {
    if (isBreak(text[i])) {
      i = skipBreak(text, i)
      line++
      continue
    }
    const start = line
    const fields: string[] = []
    for (;;) {
      if (text[i] === '"') {
        const opened = line
        let value = ''
        let j = i + 1
        for (;;) {
          const q = text.indexOf('"', j)
          if (q < 0) throw new CsvError(opened, 'a quoted field is never closed')
          const chunk = text.slice(j, q)
          line += countBreaks(chunk)
          value += chunk
          if (text[q + 1] !== '"') {
            i = q + 1
            break
          }
          value += '"'
          j = q + 2
        }
        if (i < n && text[i] !== delimiter && !isBreak(text[i]))
          throw new CsvError(
            line,
            `${JSON.stringify(text[i])} after a closing quote (a quote inside a quoted field is written "")`,
          )
        fields.push(value)
      } else {
        let j = i
        for (; j < n && text[j] !== delimiter && !isBreak(text[j]); j++)
          if (text[j] === '"')
            throw new CsvError(
              line,
              'a quote inside an unquoted field (quote the whole field and double the quote)',
            )
        fields.push(text.slice(i, j))
        i = j
      }
      if (text[i] !== delimiter) break
      i++
    }
    records.push({ line: start, fields })
    if (i < n) {
      i = skipBreak(text, i)
      line++
    }
  }
  return records
}
