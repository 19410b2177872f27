import type { Fault } from './fake-stripe.ts'

/**
 * What the fake providers share: queued faults by request kind, a gate that holds 'hang' requests until
 * release(), and the requests in flight so a test (or dispose) can wait for them all to finish.
 */
export class FaultDesk<On extends string> {
  private readonly faults: { fault: Fault; on: On | 'any' }[] = []
  private readonly inflight = new Set<Promise<unknown>>()
  private gate = Promise.withResolvers<void>()

  add(fault: Fault, count: number, on: On | 'any'): void {
    for (let i = 0; i < count; i++) this.faults.push({ fault, on })
  }

  /** The next fault queued for this kind of request (or for any), removed from the queue. */
  take(on: On): Fault | undefined {
    const i = this.faults.findIndex((f) => f.on === 'any' || f.on === on)
    return i < 0 ? undefined : this.faults.splice(i, 1)[0]?.fault
  }

  /** Resolves when the held requests are released. */
  held(): Promise<void> {
    return this.gate.promise
  }

  release(): void {
    this.gate.resolve()
    this.gate = Promise.withResolvers<void>()
  }

  /** Serves a request, counted as in flight until it settles. */
  track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p)
    void p.finally(() => this.inflight.delete(p)).catch(() => {})
    return p
  }

  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight])
  }

  /** Lets everything go and waits for it, then stops the server. */
  async close(server: { stop(force?: boolean): Promise<void> | void }): Promise<void> {
    this.gate.resolve()
    await this.idle()
    await server.stop(true)
  }
}
