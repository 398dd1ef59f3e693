declare module '*.wasm' {
  const module: WebAssembly.Module
  export default module
}
declare module '../node_modules/tiny-secp256k1/lib/rand.browser.js'
declare module '../node_modules/tiny-secp256k1/lib/validate_error.js'
