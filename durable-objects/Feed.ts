import { DurableObject } from 'cloudflare:workers'
export class Feed extends DurableObject<Env> {}
