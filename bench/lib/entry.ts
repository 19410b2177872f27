// The command-line shell every load bench shares: parse, run, map failures to exit codes, always clean up.
// Exit codes: what main returns (0 met, 1 missed), 1 when the run failed, 2 on bad usage or a missing tool.
import { UsageError } from './args.ts'
import { ToolError } from './wrk.ts'

export async function runBench<P>(o: {
  usage: string
  parse: () => P | 'help'
  main: (p: P) => Promise<number>
  scratch: { state: { interrupted: boolean }; cleanup: () => Promise<void> }
}): Promise<never> {
  let code = 1
  try {
    const parsed = o.parse()
    if (parsed === 'help') {
      console.log(o.usage)
      code = 0
    } else {
      code = await o.main(parsed)
    }
  } catch (err) {
    const usage = err instanceof UsageError
    if (usage || err instanceof ToolError)
      console.error(`bench: ${(err as Error).message}${usage ? `\n\n${o.usage}` : ''}`)
    else if (!o.scratch.state.interrupted)
      console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    code = usage || err instanceof ToolError ? 2 : 1
  } finally {
    await o.scratch.cleanup()
  }
  process.exit(code)
}
