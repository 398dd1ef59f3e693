import type { RunTxOpts, VM } from '@ethereumjs/vm'
import { callTracer } from './callTracer.js'
import { prestateTracer } from './prestateTracer.js'
import { structLogger } from './structLogger.js'

/** The options of debug_traceTransaction / debug_traceCall, as geth takes them (`TraceConfig`). */
export type TraceConfig = {
  tracer?: 'callTracer' | 'prestateTracer' | string
  tracerConfig?: {
    onlyTopCall?: boolean
    withLog?: boolean
    /** prestateTracer only; `diffMode` is not supported and is rejected. */
    diffMode?: boolean
    disableCode?: boolean
    disableStorage?: boolean
  }
  disableStorage?: boolean
  disableStack?: boolean
  enableMemory?: boolean
  enableReturnData?: boolean
  /** Set by the node (RPC_TRACE_MAX_BYTES), never by the caller: the struct logger's size bound. */
  maxBytes?: number
}

/**
 * debug_traceTransaction / debug_traceCall: runs `runTx(vm, opts)` while listening to the EVM's
 * `beforeMessage`, `afterMessage` and `step` events, and returns what geth's tracer of that name
 * returns: the struct logger (no tracer), `callTracer` or `prestateTracer` (non-diff mode). Any other
 * tracer throws `tracer not supported: <name>`. The run changes state like `runTx`; the caller
 * checkpoints and reverts around it. Listeners are removed afterwards, also when `runTx` throws.
 */
export async function traceTransaction(
  vm: VM,
  opts: RunTxOpts,
  config: TraceConfig,
): Promise<unknown> {
  const name = config.tracer ?? ''
  if (name === '') return structLogger(vm, opts, config)
  if (name === 'callTracer') return callTracer(vm, opts, config.tracerConfig ?? {})
  if (name === 'prestateTracer' && !config.tracerConfig?.diffMode)
    return prestateTracer(vm, opts, config.tracerConfig ?? {})
  throw new Error(
    `tracer not supported: ${name}${config.tracerConfig?.diffMode ? ' (diffMode)' : ''}`,
  )
}
