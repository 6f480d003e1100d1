// Starts the app without an inline script, so the server's Content-Security-Policy can stay at
// `script-src 'self' 'wasm-unsafe-eval'`. Trunk writes the hashed bundle names into the data
// attributes of <meta name="app-bundle"> (`pattern_script` in Trunk.toml).
// Until the app has mounted itself, index.html's #boot-shell shows the header and a loading
// state; it goes in the same task as the mount (no frame shows both), or says why the app could
// not start.
const { appJs, appWasm } = document.querySelector("meta[name=app-bundle]").dataset;
const shell = document.getElementById("boot-shell");
try {
  const { default: init } = await import(appJs);
  await init({ module_or_path: appWasm });
  shell?.remove();
} catch (error) {
  const status = document.getElementById("boot-status");
  if (status) {
    status.setAttribute("role", "alert");
    status.textContent =
      "Org Browser could not start in this browser. Reload the page to try again. " +
      `(${error})`;
  }
  throw error;
}
