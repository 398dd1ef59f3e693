import { Hono } from 'hono'
export { Sequencer } from '../durable-objects/Sequencer.js'
export { Feed } from '../durable-objects/Feed.js'

const app = new Hono<{ Bindings: Env }>()
app.get('/health', (c) => c.json({ ok: true }))
export default app
