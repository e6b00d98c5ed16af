// mcpwatch dashboard: the fleet. Loaded before dashboard.js, which asks `mcpwatchFleet.path(p)` for every API
// path, so that a page opened as `?server=NAME` shows that server (answered by its own mcpwatch through the front
// door). Without `server=`, the page is about the front door's own server, and opens on the fleet overview
// (#/fleet) when the front door knows more than one server. Names are data: only ever set as text, and sent
// percent-encoded.
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  const server = params.get("server");

  function withServer(path) {
    if (server === null) return path;
    return path + (path.indexOf("?") >= 0 ? "&" : "?") + "server=" + encodeURIComponent(server);
  }

  function keyHeaders() {
    const h = {};
    try {
      const k = sessionStorage.getItem("mcpwatch.apiKey");
      if (k) h["X-API-Key"] = k;
    } catch (e) { /* no storage: no key */ }
    return h;
  }

  function fmtMs(v) {
    if (v === null || v === undefined) return "–";
    return v >= 1000 ? (v / 1000).toFixed(2) + " s" : (v >= 10 ? v.toFixed(0) : v.toFixed(1)) + " ms";
  }

  function fmtAgo(iso) {
    const t = Date.parse(iso);
    if (!isFinite(t)) return "–";
    const s = Math.max(0, Math.round((Date.now() - t) / 1000));
    if (s < 5) return "now";
    if (s < 90) return s + " s ago";
    if (s < 5400) return Math.round(s / 60) + " min ago";
    if (s < 129600) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " d ago";
  }

  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  let last = null;
  let timer = null;

  async function load() {
    const res = await fetch("api/servers", { headers: keyHeaders(), cache: "no-store" });
    if (!res.ok) throw new Error("api/servers answered HTTP " + res.status);
    last = await res.json();
    return last;
  }

  function render(list) {
    const body = document.getElementById("fleet-rows");
    if (!body) return;
    body.textContent = "";
    for (const s of list.servers || []) {
      const row = document.createElement("tr");
      row.dataset.server = s.name;
      const nameCell = cell(row, "", "left name");
      const link = document.createElement("a");
      link.href = "?server=" + encodeURIComponent(s.name) + "#/overview";
      link.textContent = s.name;
      nameCell.appendChild(link);
      cell(row, s.running ? "running" : "stopped", "left");
      cell(row, String((s.instances || []).length));
      cell(row, String(s.calls));
      cell(row, String(s.errors));
      cell(row, fmtMs(s.p95_ms));
      cell(row, String(s.calls_total));
      cell(row, s.running ? "now" : fmtAgo(s.last_seen), "left");
      row.addEventListener("click", (e) => { if (e.target !== link) location.href = link.href; });
      body.appendChild(row);
    }
    const note = document.getElementById("fleet-note");
    if (note) {
      const n = (list.servers || []).length;
      note.textContent = n + (n === 1 ? " server" : " servers") + ", figures over the last " + Math.round(list.window_seconds / 60) + " min";
    }
  }

  async function show() {
    clearTimeout(timer);
    try {
      render(await load());
    } catch (e) {
      const note = document.getElementById("fleet-note");
      if (note) note.textContent = "The fleet is not available: " + (e && e.message ? e.message : e);
    }
    if (location.hash === "#/fleet") timer = setTimeout(show, 5000);
  }

  async function start() {
    let list;
    try { list = await load(); } catch (e) { return; }
    const many = (list.servers || []).length > 1;
    const nav = document.getElementById("nav-fleet");
    if (nav && (many || server !== null)) nav.hidden = false;
    // Opens on the fleet when there is more than the one server, unless the address asks for a view or a server.
    if (many && server === null && (!location.hash || location.hash === "#/")) location.hash = "#/fleet";
  }

  window.mcpwatchFleet = { server, path: withServer, show, servers: () => last };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
