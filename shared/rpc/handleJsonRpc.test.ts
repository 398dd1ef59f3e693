import { describe, expect, test } from 'vitest'
import { InvalidParamsError, MethodNotFoundError } from '../errors.js'
import { handleJsonRpc } from './handleJsonRpc.js'

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
