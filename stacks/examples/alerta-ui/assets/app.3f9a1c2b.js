// The example's stand-in for a built front end: reads the API on the same domain.
fetch("/api/health").then((r) => r.text()).then((t) => { document.getElementById("app").textContent = `API: ${t}`; });
