// The example UI: reads the API on the same domain (/api), so no CORS is needed.
const app = document.getElementById("app");
fetch("/api/", { headers: { accept: "application/json" } })
  .then((response) => response.text())
  .then((text) => { app.textContent = text; })
  .catch((error) => { app.textContent = `API unreachable: ${error}`; });
