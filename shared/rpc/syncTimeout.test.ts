import { describe, expect, test } from 'vitest'
import { buildConfig } from '../config.js'
import { syncTimeout } from './edgeMethods.js'

describe('eth_sendRawTransactionSync timeout (EIP-7966)', () => {
  const config = buildConfig({
    RPC_TX_SYNC_TIMEOUT_MS: '2000',
    RPC_TX_SYNC_MAX_TIMEOUT_MS: '10000',
  })

  test('default: a number or a hex quantity within the maximum is the wait', () => {
    expect(syncTimeout(5000, config)).toBe(5000)
    expect(syncTimeout('0x1388', config)).toBe(5000)
    expect(syncTimeout(10_000, config)).toBe(10_000)
  })

  test('behavior: missing or invalid waits get the node default, as the EIP says', () => {
    for (const bad of [undefined, null, 0, -1, 1.5, 10_001, '0x0', '5000', '0x', 'abc', {}, []])
      expect(syncTimeout(bad, config)).toBe(2000)
  })
})
