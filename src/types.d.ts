// `import x from '…' with { type: 'file' }` yields a path (inside the binary once compiled).
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const path: string
  export default path
}
declare module 'swagger-ui-dist/swagger-ui.css' {
  const path: string
  export default path
}
declare module '*.wasm' {
  const path: string
  export default path
}
declare module '*.data' {
  const path: string
  export default path
}
declare module '*.sql' {
  const text: string
  export default text
}

// Dashboard assets embedded with `type: 'file'`: the import is the file's path inside the binary.
declare module 'uplot/dist/uPlot.min.css' {
  const path: string
  export default path
}
declare module 'uplot/dist/uPlot.iife.min.js' {
  const path: string
  export default path
}
declare module '*.css' {
  const path: string
  export default path
}
declare module '*/assets/app.js' {
  const path: string
  export default path
}
// The on-site snippet, embedded as text so its version can be its content hash.
declare module '*/assets/sk.js' {
  const text: string
  export default text
}
