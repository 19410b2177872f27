import { describe, expect, test } from 'bun:test'
import { socketOf } from '../../src/db/postgres.ts'

describe('DATABASE_URL with a Unix socket directory (libpq ?host=)', () => {
  test.each([
    [
      'postgres://app@localhost/db?host=/var/run/postgresql',
      'postgres://app@localhost/db',
      '/var/run/postgresql/.s.PGSQL.5432',
    ],
    [
      'postgres://app@localhost:6543/db?host=/tmp/&sslmode=disable',
      'postgres://app@localhost:6543/db?sslmode=disable',
      '/tmp/.s.PGSQL.6543',
    ],
  ])('%s', (url, rest, path) => {
    expect(socketOf(url)).toEqual({ url: rest, path })
  })

  test('a TCP host is left alone', () => {
    expect(socketOf('postgres://app@db.internal:5432/db?host=db2')).toEqual({
      url: 'postgres://app@db.internal:5432/db?host=db2',
    })
  })
})
