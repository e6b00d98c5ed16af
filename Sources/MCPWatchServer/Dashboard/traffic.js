// The Traffic view: what traffic control did in the server's place (GET /api/traffic): the queue and its waits,
// the answers mcpwatch gave by outcome, the cache's hit rate, the breakers and their transitions, and the latency
// the client saw beside the server's own. Plain JavaScript like the rest; every name from the server is written
// with textContent (tool names can be hostile). dashboard.js's router calls window.mcpwatchTraffic.load() when
// #/traffic is shown; while it stays shown the view refreshes every 2 s.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const OUTCOMES = ["cached", "queued_out", "rejected", "timed_out", "circuit_open", "rate_limited"];
  const state = { timer: null, loading: false };

  function ms(v) {
    if (v === null || v === undefined) return "–";
    return v < 10 ? v.toFixed(2) + " ms" : v < 1000 ? v.toFixed(0) + " ms" : (v / 1000).toFixed(2) + " s";
  }

  function bytes(v) {
    if (v === null || v === undefined) return "–";
    const units = ["B", "KB", "MB", "GB"];
    let x = v, u = 0;
    while (x >= 1000 && u < units.length - 1) { x /= 1000; u += 1; }
    return (u === 0 ? String(x) : x.toFixed(1)) + " " + units[u];
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function setCard(id, value, sub) {
    const card = $(id);
    card.querySelector(".value").textContent = value;
    if (sub !== undefined) card.querySelector(".sub").textContent = sub;
  }

  function visible() {
    const view = $("view-traffic");
    return view && !view.hidden;
  }

  async function load() {
    clearTimeout(state.timer);
    if (!visible()) return;
    if (!state.loading) {
      state.loading = true;
      const note = $("traffic-error");
      try {
        const key = sessionStorage.getItem("mcpwatch.apiKey") || "";
        const res = await fetch("api/traffic", { cache: "no-store", headers: key ? { "X-API-Key": key } : {} });
        const body = await res.json().catch(() => null);
        if (!res.ok) throw new Error((body && body.error && (body.error.message || body.error)) || res.statusText);
        note.hidden = true;
        render(body);
      } catch (e) {
        note.textContent = "Traffic figures cannot be read: " + (e && e.message ? e.message : String(e));
        note.hidden = false;
      } finally {
        state.loading = false;
      }
    }
    state.timer = setTimeout(load, 2000);
  }

  function render(body) {
    const on = !!(body && body.enabled && body.traffic);
    $("traffic-off").hidden = on;
    $("traffic-on").hidden = !on;
    if (!on) {
      $("traffic-off").textContent = "Traffic control is off: no traffic: section in the configuration (see docs/traffic.md). "
        + "Everything is relayed as it comes.";
      return;
    }
    const t = body.traffic;
    const p = t.policy;
    const parts = [];
    if (p) {
      parts.push(p.max_concurrency ? "at most " + p.max_concurrency + " in flight" : "no concurrency limit");
      parts.push("queue of " + p.queue_max_size + (p.queue_timeout_ms ? ", waits up to " + ms(p.queue_timeout_ms) : ""));
      parts.push(p.timeout_ms ? "timeout " + ms(p.timeout_ms) : "no timeout");
      parts.push(p.cache ? "cache on" : "cache off");
      parts.push(p.rate_limits ? "rate limits on" : "no rate limit");
    }
    $("traffic-policy").textContent = parts.length ? "Configured: " + parts.join(" · ") : "";

    const answeredTotal = OUTCOMES.reduce((n, o) => n + (t.answered[o] || 0), 0);
    setCard("traffic-card-queue", String(t.queue.depth), "peak " + t.queue.depth_peak);
    setCard("traffic-card-in-flight", String(t.queue.in_flight), "at the server");
    setCard("traffic-card-wait", ms(t.queue.wait.p95_ms), "queue wait p95");
    setCard("traffic-card-admitted", String(t.admitted), "let through");
    setCard("traffic-card-answered", String(answeredTotal), "answered by mcpwatch");
    setCard("traffic-card-hit-rate", t.cache.hit_rate === null || t.cache.hit_rate === undefined ? "–" : t.cache.hit_rate.toFixed(1) + " %",
            t.cache.hits + " hits · " + t.cache.misses + " misses");
    setCard("traffic-card-cache", String(t.cache.entries), bytes(t.cache.bytes) + " · " + t.cache.evictions + " evicted");
    setCard("traffic-card-late", String(t.late_answers_dropped), "late answers dropped");

    const outcomes = $("traffic-outcomes").tBodies[0];
    outcomes.replaceChildren();
    for (const o of OUTCOMES) {
      const tr = document.createElement("tr");
      tr.dataset.outcome = o;
      tr.append(cell(o, "left"), cell(String(t.answered[o] || 0)));
      outcomes.append(tr);
    }

    const breakers = $("traffic-breakers").tBodies[0];
    breakers.replaceChildren();
    for (const b of t.breakers) {
      const tr = document.createElement("tr");
      const state = cell(b.state, "left");
      state.dataset.state = b.state;
      tr.append(cell(b.name, "left"), state, cell(String(b.opened)));
      breakers.append(tr);
    }
    $("traffic-breakers-empty").hidden = t.breakers.length > 0;

    const transitions = $("traffic-transitions");
    transitions.replaceChildren();
    for (const e of t.transitions) {
      const li = document.createElement("li");
      const when = document.createElement("span");
      when.className = "muted";
      when.textContent = new Date(e.at).toLocaleTimeString() + " ";
      const what = document.createElement("span");
      what.textContent = e.breaker + ": " + e.from + " → " + e.to + (e.summary ? " — " + e.summary : "");
      li.append(when, what);
      transitions.append(li);
    }
    $("traffic-transitions-empty").hidden = t.transitions.length > 0;

    const targets = $("traffic-targets").tBodies[0];
    targets.replaceChildren();
    for (const x of t.targets) {
      const tr = document.createElement("tr");
      const answered = Object.keys(x.answered).sort().map((k) => k + " " + x.answered[k]).join(", ");
      const server = x.server_latency || {};
      tr.append(cell(x.target || x.method, "left"), cell(x.method, "left"), cell(String(x.admitted)), cell(answered || "–", "left"),
                cell(ms(x.queue_wait.p95_ms)), cell(ms(x.client_latency.p50_ms)), cell(ms(x.client_latency.p95_ms)),
                cell(ms(server.p50_ms)), cell(ms(server.p95_ms)));
      targets.append(tr);
    }
    $("traffic-targets-empty").hidden = t.targets.length > 0;
  }

  window.mcpwatchTraffic = { load };
  // The router may have shown #/traffic before this file ran (deferred scripts run in order, dashboard.js first).
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", load);
  else load();
})();
