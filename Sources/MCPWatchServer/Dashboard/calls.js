// The Calls view: the local store's call log (GET /api/calls), filtered, sorted by time or duration, one call opened.
// Plain JavaScript like the rest; dashboard.js's router calls window.mcpwatchCalls.load() when #/calls is shown.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const state = { sort: "time", calls: [], open: null, loading: false };

  function ms(v) {
    if (v === null || v === undefined) return "–";
    return v < 10 ? v.toFixed(2) + " ms" : v < 1000 ? v.toFixed(0) + " ms" : (v / 1000).toFixed(2) + " s";
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function query() {
    const p = new URLSearchParams();
    const target = $("calls-target").value.trim();
    const outcome = $("calls-outcome").value;
    const min = $("calls-min-duration").value.trim();
    const since = $("calls-since").value;
    if (target) p.set("target", target);
    if (outcome) p.set("outcome", outcome);
    if (min) p.set("min_duration", /^[0-9.]+$/.test(min) ? min + "ms" : min);
    if (since) p.set("since", since);
    p.set("sort", state.sort);
    p.set("limit", "200");
    return "api/calls?" + p.toString();
  }

  async function load() {
    if (state.loading) return;
    state.loading = true;
    const note = $("calls-error");
    try {
      const key = sessionStorage.getItem("mcpwatch.apiKey") || "";
      const res = await fetch(query(), { cache: "no-store", headers: key ? { "X-API-Key": key } : {} });
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new Error((body && body.error && (body.error.message || body.error)) || res.statusText);
      state.calls = body.calls || [];
      note.hidden = true;
      render();
    } catch (e) {
      note.textContent = "The call log cannot be read: " + (e && e.message ? e.message : String(e));
      note.hidden = false;
    } finally {
      state.loading = false;
    }
  }

  function render() {
    const body = $("calls-table").tBodies[0];
    body.replaceChildren();
    for (const c of state.calls) {
      const tr = document.createElement("tr");
      tr.dataset.id = String(c.id);
      tr.className = c.outcome === "ok" ? "" : "failed";
      tr.append(cell(new Date(c.time).toLocaleString(), "left"), cell(c.target || c.method, "left"), cell(ms(c.duration_ms)),
                cell(c.outcome, "left"), cell(c.error_message || (c.error_code !== undefined ? String(c.error_code) : ""), "left"),
                cell(c.client || "–", "left"));
      body.append(tr);
    }
    $("calls-empty").hidden = state.calls.length > 0;
    for (const th of $("calls-table").tHead.querySelectorAll("th[data-sort]")) {
      th.setAttribute("aria-sort", th.dataset.sort === state.sort ? "descending" : "none");
    }
    show(state.open);
  }

  // A captured text (store.capture) as people read it: indented when it is whole JSON, else as it was kept (it may
  // have been cut at store.capture_bytes). Always set as text, never as markup.
  function captured(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text + "\n(truncated at store.capture_bytes)"; }
  }

  function capturePane(pane, id, title, text) {
    let block = $(id);
    if (!block) {
      const h = document.createElement("h3");
      h.id = id + "-title";
      block = document.createElement("pre");
      block.className = "json";
      block.id = id;
      pane.append(h, block);
    }
    $(id + "-title").textContent = title;
    $(id + "-title").hidden = block.hidden = text === null || text === undefined;
    block.textContent = text === null || text === undefined ? "" : captured(text);
  }

  function fill(call) {
    const pane = $("calls-detail");
    const rest = Object.assign({}, call);
    delete rest.arguments;
    delete rest.result;
    $("calls-detail-json").textContent = JSON.stringify(rest, null, 2);
    capturePane(pane, "calls-detail-arguments", "Arguments", call.arguments);
    capturePane(pane, "calls-detail-result", "Result", call.result);
  }

  // The list leaves captured arguments and results out; opening a call asks for it alone (GET /api/calls?id=).
  async function show(id) {
    state.open = id;
    const call = state.calls.find((c) => c.id === id);
    const pane = $("calls-detail");
    pane.hidden = !call;
    if (!call) return;
    fill(call);
    try {
      const key = sessionStorage.getItem("mcpwatch.apiKey") || "";
      const res = await fetch("api/calls?id=" + encodeURIComponent(String(id)), { cache: "no-store", headers: key ? { "X-API-Key": key } : {} });
      const body = res.ok ? await res.json() : null;
      const one = body && body.calls && body.calls[0];
      if (one && state.open === id) fill(one);
    } catch (e) {
      // The row's own figures stay shown.
    }
  }

  function init() {
    if (!$("view-calls")) return;
    $("calls-form").addEventListener("submit", (e) => { e.preventDefault(); load(); });
    $("calls-table").tHead.addEventListener("click", (e) => {
      const th = e.target.closest("th[data-sort]");
      if (!th) return;
      state.sort = th.dataset.sort;
      load();
    });
    $("calls-table").tBodies[0].addEventListener("click", (e) => {
      const tr = e.target.closest("tr[data-id]");
      if (tr) show(Number(tr.dataset.id));
    });
    $("calls-detail-close").addEventListener("click", () => show(null));
  }

  window.mcpwatchCalls = { load };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
