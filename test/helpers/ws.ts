/** A WebSocket client that records every JSON frame and lets a test wait for the frame it expects. */
export class FeedClient {
  readonly frames: any[] = []
  closed: { code: number; reason: string } | undefined
  private waiters: { match: (f: any) => boolean; resolve: (f: any) => void }[] = []
  private closeWaiters: (() => void)[] = []
  readonly ws: WebSocket

  constructor(url: string, opts: { headers?: Record<string, string>; onFrame?: (f: any) => void } = {}) {
    // Bun's client accepts headers (browsers cannot); the first-message login covers browsers.
    this.ws = new WebSocket(url, { headers: opts.headers } as any)
    this.ws.onmessage = (m) => {
      const f = JSON.parse(String(m.data))
      opts.onFrame?.(f)
      this.frames.push(f)
      this.waiters = this.waiters.filter((w) => (w.match(f) ? (w.resolve(f), false) : true))
    }
    this.ws.onclose = (e) => {
      this.closed = { code: e.code, reason: e.reason }
      for (const w of this.closeWaiters) w()
    }
  }

  opened(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.ws.addEventListener('open', () => resolve(), { once: true })
      this.ws.addEventListener('error', () => reject(new Error('websocket failed to open')), { once: true })
    })
  }

  /** Resolves with the first frame (already seen or future) that matches, or rejects after timeoutMs. */
  next(match: (f: any) => boolean, timeoutMs = 5_000): Promise<any> {
    const seen = this.frames.find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms`)), timeoutMs)
      this.waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer)
          resolve(f)
        },
      })
    })
  }

  whenClosed(): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed)
    return new Promise((resolve) => this.closeWaiters.push(() => resolve(this.closed!)))
  }

  close() {
    this.ws.close()
  }
}
