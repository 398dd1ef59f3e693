/**
 * The few browser APIs the status page's client uses, typed here because the Worker's types have no
 * DOM (adding `lib: dom` would clash with the Workers runtime types). Types only: nothing is emitted.
 */

/** A DOM element as the client touches it. */
export interface El {
  id: string
  className: string
  textContent: string | null
  value: string
  hidden: boolean
  readonly dataset: Record<string, string | undefined>
  append(...nodes: (El | string)[]): void
  replaceChildren(...nodes: (El | string)[]): void
  setAttribute(name: string, value: string): void
  addEventListener(type: string, listener: (event: Ev) => void): void
  querySelector(selector: string): El | null
  focus(): void
}

/** An event as the client reads it. */
export interface Ev {
  preventDefault(): void
  readonly target: El | null
}

/** `document`. */
export interface Doc {
  getElementById(id: string): El | null
  createElement(tag: string): El
  createElementNS(namespace: string, tag: string): El
  querySelectorAll(selector: string): Iterable<El>
  title: string
}

/** `window`, `location` and `navigator.clipboard`. */
export interface Win {
  addEventListener(type: string, listener: () => void): void
  location: { hash: string; protocol: string; host: string; origin: string }
  navigator: { clipboard?: { writeText(text: string): Promise<void> } }
}

/** A child of `el`: a node, text, or nothing (skipped). */
export type Child = El | string | number | null | undefined | false | Child[]

/** Attributes of `el`: strings, or an event listener for keys starting with `on`. */
export type Attrs = Record<string, string | number | boolean | undefined | ((e: Ev) => void)>
