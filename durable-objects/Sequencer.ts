import { DurableObject } from 'cloudflare:workers'
export class Sequencer extends DurableObject<Env> {}
