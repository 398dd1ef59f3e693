import type { EVMResult, InterpreterStep, Message } from '@ethereumjs/evm'
import { runTx, type RunTxOpts, type RunTxResult, type VM } from '@ethereumjs/vm'

type Hook<T> = (data: T) => void | Promise<void>

/** The EVM events a tracer listens to: `step`, `beforeMessage` (enter) and `afterMessage` (exit). */
export type Hooks = { step?: Hook<InterpreterStep>; enter?: Hook<Message>; exit?: Hook<EVMResult> }

/**
 * Runs the transaction with the hooks attached (awaited, as the EVM awaits two-argument listeners).
 * The first hook failure is rethrown after the run; listeners are removed afterwards, also when
 * `runTx` throws.
 */
export async function runHooked(vm: VM, opts: RunTxOpts, hooks: Hooks): Promise<RunTxResult> {
  const events = vm.evm.events
  if (!events) throw new Error('the EVM has no event emitter to trace with')
  let failure: { error: unknown } | undefined
  const listen =
    <T>(hook: Hook<T>) =>
    (data: T, resolve?: () => void) => {
      const fail = (error: unknown) => ((failure ??= { error }), resolve?.())
      try {
        const pending = failure ? undefined : hook(data)
        if (pending) pending.then(() => resolve?.(), fail)
        else resolve?.()
      } catch (error) {
        fail(error)
      }
    }
  const step = hooks.step && listen(hooks.step)
  const enter = hooks.enter && listen(hooks.enter)
  const exit = hooks.exit && listen(hooks.exit)
  if (step) events.on('step', step)
  if (enter) events.on('beforeMessage', enter)
  if (exit) events.on('afterMessage', exit)
  try {
    const result = await runTx(vm, opts)
    if (failure) throw failure.error
    return result
  } finally {
    if (step) events.off('step', step)
    if (enter) events.off('beforeMessage', enter)
    if (exit) events.off('afterMessage', exit)
  }
}
