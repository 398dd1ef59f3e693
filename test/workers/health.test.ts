import { SELF } from 'cloudflare:test'
import { expect, test } from 'vitest'

test('GET /health answers ok', async () => {
  const res = await SELF.fetch('http://node/health')
  expect(res.status).toBe(200)
})
