import { describe, expect, test } from 'bun:test'
import { Lifecycle, type Worker } from '../../src/lifecycle.ts'
import { createLogger } from '../../src/shared/logger.ts'

const recorder = () => {
  const events: string[] = []
  const worker = (name: string, failStop = false): Worker => ({
    name,
    start: () => {
      events.push(`start ${name}`)
    },
    stop: async () => {
      await Promise.resolve()
      events.push(`stop ${name}`)
      if (failStop) throw new Error(`${name} broke`)
    },
  })
  return { events, worker }
}

describe('Lifecycle', () => {
  test('starts in order and stops in reverse, once', async () => {
    const { events, worker } = recorder()
    const lc = new Lifecycle(createLogger('silent'))
    await lc.start([worker('flusher'), worker('listener'), worker('scheduler')])
    await Promise.all([lc.stop(), lc.stop()])
    expect(events).toEqual([
      'start flusher',
      'start listener',
      'start scheduler',
      'stop scheduler',
      'stop listener',
      'stop flusher',
    ])
  })

  test('a worker failing to stop does not keep the others running', async () => {
    const { events, worker } = recorder()
    const lc = new Lifecycle(createLogger('silent'))
    await lc.start([worker('a'), worker('b', true), worker('c')])
    await expect(lc.stop()).rejects.toThrow('1 worker(s) failed to stop')
    expect(events.filter((e) => e.startsWith('stop'))).toEqual(['stop c', 'stop b', 'stop a'])
  })
})
