// A stand-in for the built Alerta web UI: it reads the API the stack serves next to it.
const app = document.getElementById("app");
fetch("/api/health").then((r) => { app.textContent = `API: ${r.status}`; }).catch(() => { app.textContent = "API unreachable"; });
