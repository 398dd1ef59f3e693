import { describe, expect, test, vi } from 'vitest'
import { InvalidParamsError, MethodNotFoundError } from '../errors.js'
import { handleJsonRpc, stringifyResponse } from './handleJsonRpc.js'
import { toRpcError } from './toRpcError.js'

const limits = { maxBatch: 3, maxBodyBytes: 1000 }
const dispatch = async (method: string, params: unknown[]) => {
  if (method === 'echo') return params[0]
  if (method === 'bad') throw new InvalidParamsError('invalid argument 0: nope')
  if (method === 'boom') throw new Error('secret stack')
  throw new MethodNotFoundError(method)
}

describe('handleJsonRpc', () => {
  test('default: single request', async () => {
    expect(
      await handleJsonRpc(
        '{"jsonrpc":"2.0","id":7,"method":"echo","params":["hi"]}',
        dispatch,
        limits,
      ),
    ).toEqual({ jsonrpc: '2.0', id: 7, result: 'hi' })
  })

  test('behavior: malformed JSON is -32700', async () => {
    expect(await handleJsonRpc('{"jsonrpc":', dispatch, limits)).toMatchObject({
      id: null,
      error: { code: -32700 },
    })
  })

  test('behavior: wrong shapes are -32600', async () => {
    for (const body of [
      '42',
      '{"id":1,"method":"echo"}',
      '{"jsonrpc":"2.0","id":1,"method":5}',
      '{"jsonrpc":"2.0","id":1,"method":"echo","params":{}}',
      '[]',
    ])
      expect(await handleJsonRpc(body, dispatch, limits)).toMatchObject({ error: { code: -32600 } })
  })

  test('behavior: unknown method -32601, bad params -32602, unknown errors -32603 without internals', async () => {
    const out = (await handleJsonRpc(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'nope' },
        { jsonrpc: '2.0', id: 2, method: 'bad' },
        { jsonrpc: '2.0', id: 3, method: 'boom' },
      ]),
      dispatch,
      limits,
    )) as { error: { code: number; message: string } }[]
    expect(out.map((r) => r.error.code)).toEqual([-32601, -32602, -32603])
    expect(out[2].error.message).not.toContain('secret')
  })

  test('behavior: an internal error carries an id that the log has next to the error and the method', async () => {
    const logged: unknown[][] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((...args) => void logged.push(args))
    try {
      const out = (await handleJsonRpc(
        '{"jsonrpc":"2.0","id":3,"method":"boom"}',
        dispatch,
        limits,
      )) as { error: { code: number; message: string; data: { errorId: string } } }
      expect(out.error.code).toBe(-32603)
      expect(out.error.message).toBe('internal error')
      expect(out.error.data.errorId).toMatch(/^[0-9a-f]{8}$/)
      expect(JSON.stringify(out)).not.toMatch(/secret|stack|Error|\.ts/)
      expect(logged).toHaveLength(1)
      expect(String(logged[0][0])).toBe(`internal error ${out.error.data.errorId} in "boom":`)
      expect((logged[0][1] as Error).message).toBe('secret stack')
    } finally {
      spy.mockRestore()
    }
  })

  test('behavior: a thrown object with a numeric code (a DOMException) is not taken for a wire error', () => {
    vi.spyOn(console, 'error').mockImplementationOnce(() => {})
    const clone = new DOMException('could not be cloned', 'DataCloneError')
    expect(clone.code).toBe(25)
    expect(toRpcError(clone)).toMatchObject({ code: -32603, message: 'internal error' })
    expect(toRpcError({ code: -32000, message: 'nonce too low' })).toEqual({
      code: -32000,
      message: 'nonce too low',
    })
  })

  test('behavior: a result that is not JSON fails only its own request', () => {
    vi.spyOn(console, 'error').mockImplementationOnce(() => {})
    const text = stringifyResponse([
      { jsonrpc: '2.0', id: 1, result: 1n },
      { jsonrpc: '2.0', id: 2, result: '0x2' },
    ])
    const out = JSON.parse(text)
    expect(out[0]).toMatchObject({ id: 1, error: { code: -32603, message: 'internal error' } })
    expect(out[1]).toEqual({ jsonrpc: '2.0', id: 2, result: '0x2' })
  })

  test('behavior: batch and body caps', async () => {
    const batch = JSON.stringify(
      Array.from({ length: 4 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'echo', params: [i] })),
    )
    expect(await handleJsonRpc(batch, dispatch, limits)).toMatchObject({
      error: { code: -32600, message: 'batch too large: 4 requests, limit 3' },
    })
    expect(await handleJsonRpc(' '.repeat(1001), dispatch, limits)).toMatchObject({
      error: { code: -32600 },
    })
  })

  test('behavior: notifications get no response', async () => {
    expect(
      await handleJsonRpc('{"jsonrpc":"2.0","method":"echo","params":[1]}', dispatch, limits),
    ).toBeUndefined()
  })
})
