// Starts the app without an inline script, so the server's Content-Security-Policy can stay at
// `script-src 'self' 'wasm-unsafe-eval'`. Trunk writes the hashed bundle names into the data
// attributes of the <script> element that loads this file (`pattern_script` in Trunk.toml).
const { appJs, appWasm } = document.querySelector("script[data-app-wasm]").dataset;
const { default: init } = await import(appJs);
await init({ module_or_path: appWasm });
