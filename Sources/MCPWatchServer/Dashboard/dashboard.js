/* mcpwatch dashboard: views, live stream, API client. Server data is always written with textContent. */
"use strict";

(() => {
  // ---------------------------------------------------------------- helpers
  const $ = (id) => document.getElementById(id);
  const MAX_POINTS = 3600;
  const SPARK_POINTS = 60;

  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    if (props) {
      for (const k of Object.keys(props)) {
        const v = props[k];
        if (v == null || v === false) continue;
        if (k === "class") e.className = v;
        else if (k === "text") e.textContent = v;
        else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const c of kids) if (c != null && c !== false) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  function setText(node, s) {
    s = s == null ? "" : String(s);
    if (node && node.textContent !== s) node.textContent = s;
  }
  function setAttr(node, name, value) {
    if (value == null) { if (node.hasAttribute(name)) node.removeAttribute(name); }
    else if (node.getAttribute(name) !== String(value)) node.setAttribute(name, value);
  }
  function showNote(node, text) {
    if (!node) return;
    setText(node, text || "");
    node.hidden = !text;
  }
  /** Keeps container's children in the order of items, reusing nodes by key; never grows beyond items. */
  function syncList(container, items, keyOf, create, update) {
    const old = container.__map || new Map();
    const next = new Map();
    let i = 0;
    for (const item of items) {
      let k = String(keyOf(item));
      while (next.has(k)) k += "\u0000";
      let node = old.get(k);
      if (!node) node = create(item);
      update(node, item);
      next.set(k, node);
      const at = container.children[i];
      if (at !== node) container.insertBefore(node, at || null);
      i++;
    }
    for (const [k, node] of old) if (!next.has(k)) node.remove();
    container.__map = next;
  }
  /** Fills a <dl> with [label, value] pairs, reusing dt/dd nodes. */
  function syncKV(dl, pairs) {
    syncList(dl, pairs, (p) => p[0], (p) => {
      const frag = el("div", { style: "display:contents" }, el("dt"), el("dd"));
      return frag;
    }, (node, p) => {
      setText(node.firstChild, p[0]);
      setText(node.lastChild, p[1] == null || p[1] === "" ? "–" : p[1]);
    });
  }

  // ---------------------------------------------------------------- formatting
  const num = (v) => typeof v === "number" && isFinite(v);
  function fmtNum(v, digits) {
    if (!num(v)) return "–";
    return v.toLocaleString(undefined, { maximumFractionDigits: digits == null ? 0 : digits, minimumFractionDigits: digits == null ? 0 : Math.min(digits, 1) });
  }
  function fmtInt(v) { return num(v) ? Math.round(v).toLocaleString() : "–"; }
  function fmtMs(v) {
    if (!num(v)) return "–";
    if (v >= 1000) return (v / 1000).toFixed(v >= 10000 ? 1 : 2) + " s";
    if (v >= 100) return v.toFixed(0) + " ms";
    if (v >= 10) return v.toFixed(1) + " ms";
    return v.toFixed(2) + " ms";
  }
  function fmtMsAxis(v) {
    if (v >= 1000) return +(v / 1000).toFixed(2) + " s";
    return +v.toFixed(v < 10 ? 2 : 0) + " ms";
  }
  function fmtPct(v, digits) {
    if (!num(v)) return "–";
    return v.toFixed(digits == null ? 1 : digits) + " %";
  }
  function fmtBytes(v) {
    if (!num(v)) return "–";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : 1)) + " " + units[i];
  }
  function fmtRate(v) {
    if (!num(v)) return "–";
    return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  }
  function fmtDuration(sec) {
    if (!num(sec)) return "–";
    sec = Math.max(0, Math.floor(sec));
    const d = Math.floor(sec / 86400), h = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
    const p = (n) => (n < 10 ? "0" : "") + n;
    if (d) return d + "d " + p(h) + "h " + p(m) + "m";
    if (h) return h + "h " + p(m) + "m " + p(s) + "s";
    if (m) return m + "m " + p(s) + "s";
    return s + "s";
  }
  function fmtTime(iso) {
    const t = typeof iso === "number" ? iso : Date.parse(iso);
    if (!isFinite(t)) return "–";
    const d = new Date(t);
    const today = new Date().toDateString() === d.toDateString();
    return (today ? "" : d.toLocaleDateString() + " ") + d.toLocaleTimeString(undefined, { hour12: false });
  }
  function fmtAgo(iso) {
    const t = Date.parse(iso);
    if (!isFinite(t)) return "–";
    const s = Math.max(0, (serverNow() - t) / 1000);
    if (s < 1) return "just now";
    if (s < 60) return Math.floor(s) + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    return Math.floor(s / 86400) + " d ago";
  }
  /** A value of an alert metric in its unit. */
  function fmtMetric(metric, v) {
    const m = String(metric || "");
    if (m.startsWith("latency_")) return fmtMs(v);
    if (m.endsWith("_bytes")) return fmtBytes(v);
    if (m.endsWith("_rate") || m.endsWith("_percent")) return fmtPct(v);
    return String(+v.toFixed(2));
  }
  let clockOffset = 0;
  const serverNow = () => Date.now() + clockOffset;

  // ---------------------------------------------------------------- API client and API key
  const KEY_STORE = "mcpwatch.apiKey";
  class ApiError extends Error {
    constructor(status, message, path) {
      super(message);
      this.status = status;
      this.path = path;
    }
  }
  function apiKey() {
    try { return sessionStorage.getItem(KEY_STORE) || ""; } catch (e) { return ""; }
  }
  function headers(extra) {
    const h = Object.assign({}, extra || {});
    const k = apiKey();
    if (k) h["X-API-Key"] = k;
    return h;
  }
  // The fleet (fleet.js): every API path names the server the page is about, when it is about one.
  const forServer = (path) => (window.mcpwatchFleet ? window.mcpwatchFleet.path(path) : path);
  async function api(path, opts) {
    path = forServer(path);
    opts = opts || {};
    const init = { method: opts.method || "GET", headers: headers(opts.headers), cache: "no-store" };
    if (opts.body !== undefined) {
      init.body = JSON.stringify(opts.body);
      init.headers["Content-Type"] = "application/json";
    }
    // mcpwatch refuses a request that acts without this header: no other page can send it without a preflight.
    if (init.method !== "GET") init.headers["X-MCPWatch-Request"] = "1";
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, "mcpwatch is not reachable (" + (e && e.message ? e.message : "network error") + ")", path);
    }
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    if (res.status === 401) {
      auth.require(init.headers["X-API-Key"] ? "That key was not accepted. Try again." : "");
      throw new ApiError(401, "An API key is required.", path);
    }
    if (!res.ok) {
      const msg = (body && body.error && (body.error.message || body.error)) || (body && body.message) || text.slice(0, 200) || res.statusText;
      throw new ApiError(res.status, String(msg), path);
    }
    if (body === null && text) throw new ApiError(res.status, "The answer is not JSON.", path);
    return body;
  }
  function describeError(e, what) {
    if (!(e instanceof ApiError)) return (what ? what + ": " : "") + (e && e.message ? e.message : String(e));
    if (e.status === 404 && /no such endpoint/i.test(e.message)) return (what || e.path) + " is not available from this mcpwatch (404).";
    return (what ? what + ": " : "") + e.message + (e.status ? " (HTTP " + e.status + ")" : "");
  }

  const auth = {
    waiting: false,
    require(message) {
      const ov = $("auth-overlay");
      setText($("auth-message"), message || "");
      if (!this.waiting) {
        this.waiting = true;
        ov.hidden = false;
        stopConnection();
        setLive("offline", "Waiting for an API key");
        setTimeout(() => $("auth-key").focus(), 0);
      }
    },
    submit(ev) {
      ev.preventDefault();
      const key = $("auth-key").value.trim();
      if (!key) { setText($("auth-message"), "Enter the key."); return; }
      try { sessionStorage.setItem(KEY_STORE, key); } catch (e) { /* private mode: keep for this page only */ }
      $("auth-key").value = "";
      this.waiting = false;
      $("auth-overlay").hidden = true;
      startConnection();
      loadSeries(state.series.range);
      loadSystem();
      route();
    },
  };

  // ---------------------------------------------------------------- state
  const state = {
    tools: new Map(),          // key -> target object
    sparks: new Map(),         // key -> {calls, t, values[]}
    series: { step: 1, points: [], live: true, range: 300, status: "loading" },
    sys: [],                   // {t, server_cpu, mcpwatch_cpu, host_cpu, server_rss, mcpwatch_rss, host_mem}
    sysLast: null,
    system: null,
    alertsCounts: null,
    update: null,
    view: "overview",
    detail: null,
  };
  const toolKey = (t) => t.method + "\u0000" + t.name;

  // ---------------------------------------------------------------- live indicator and connection
  const LIVE_TEXT = { live: "Live", reconnecting: "Reconnecting…", polling: "Polling", connecting: "Connecting…", offline: "Offline", stopped: "Stopped" };
  function setLive(mode, title) {
    const ind = $("live-indicator");
    setAttr(ind, "data-state", mode);
    setText(ind.querySelector(".live-text"), LIVE_TEXT[mode] || mode);
    ind.title = title || "";
  }

  const conn = {
    gen: 0, controller: null, failures: 0, retryTimer: null, pollTimer: null, polling: false,
    lastData: 0, streaming: false, everLive: false, legacy: false, stopped: false,
  };

  function stopConnection() {
    conn.gen++;
    if (conn.controller) conn.controller.abort();
    conn.controller = null;
    conn.streaming = false;
    clearTimeout(conn.retryTimer);
    clearTimeout(conn.pollTimer);
    conn.polling = false;
  }
  function startConnection() {
    stopConnection();
    conn.failures = 0;
    startStream();
  }

  // A page left for another (or kept in the back/forward cache) must not keep its stream: each one holds one of the
  // browser's six connections to mcpwatch, and a few left open starve the next page's requests. Reconnect on return.
  window.addEventListener("pagehide", () => stopConnection());
  window.addEventListener("pageshow", (e) => { if (e.persisted) startConnection(); });

  async function startStream() {
    const gen = ++conn.gen;
    clearTimeout(conn.retryTimer);
    const ctrl = new AbortController();
    conn.controller = ctrl;
    if (!conn.polling) setLive(conn.everLive ? "reconnecting" : "connecting");
    let got = false;
    try {
      const res = await fetch(forServer("api/stream"), { headers: headers({ Accept: "text/event-stream" }), signal: ctrl.signal, cache: "no-store" });
      if (res.status === 401) {
        auth.require(apiKey() ? "That key was not accepted. Try again." : "");
        return;
      }
      if (res.status === 410) {
        // A stopped server (through the front door): no live stream; its figures and charts come from the store.
        let msg = "The server has stopped.";
        try { const b = await res.json(); if (b && b.error && b.error.message) msg = String(b.error.message); } catch (e) { /* keep the plain text */ }
        showStopped(msg);
        if (gen === conn.gen) conn.retryTimer = setTimeout(startStream, 30000);
        return;
      }
      if (!res.ok || !res.body) throw new ApiError(res.status, "api/stream answered HTTP " + res.status, "api/stream");
      conn.streaming = true;
      conn.lastData = Date.now();
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      let ev = { event: "", data: [], id: null };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (gen !== conn.gen) { reader.cancel().catch(() => {}); return; }
        conn.lastData = Date.now();
        buf += decoder.decode(value, { stream: true });
        if (buf.length > 16 * 1024 * 1024) throw new Error("stream line too long");
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          let line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.endsWith("\r")) line = line.slice(0, -1);
          if (line === "") {
            if (ev.data.length) {
              if (dispatchEvent(ev) === "update" && !got) {
                got = true;
                if (conn.stopped) { conn.stopped = false; loadSeries(state.series.range); }
                // After a drop or a polling spell, fetch the history again to fill the gap.
                if (conn.everLive || conn.polling) loadSeries(state.series.range);
                conn.failures = 0;
                conn.everLive = true;
                if (conn.polling) { conn.polling = false; clearTimeout(conn.pollTimer); }
                setLive("live");
                showBanner("");
              }
            }
            ev = { event: "", data: [], id: null };
            continue;
          }
          if (line[0] === ":") continue;
          const c = line.indexOf(":");
          const field = c < 0 ? line : line.slice(0, c);
          let val = c < 0 ? "" : line.slice(c + 1);
          if (val[0] === " ") val = val.slice(1);
          if (field === "event") ev.event = val;
          else if (field === "data") ev.data.push(val);
          else if (field === "id") ev.id = val;
        }
      }
      throw new Error("the stream ended");
    } catch (e) {
      if (gen !== conn.gen) return;
      conn.streaming = false;
      conn.controller = null;
      conn.failures = got ? 1 : conn.failures + 1;
      const notFound = e instanceof ApiError && e.status === 404;
      if (conn.polling) {
        conn.retryTimer = setTimeout(startStream, 30000);
      } else if (conn.failures >= 3 || notFound) {
        startPolling(notFound ? "The live stream is not available (api/stream: 404)." : "The live stream keeps failing.");
        conn.retryTimer = setTimeout(startStream, 30000);
      } else {
        setLive("reconnecting", String(e && e.message ? e.message : e));
        conn.retryTimer = setTimeout(startStream, Math.min(15000, 1000 * Math.pow(2, conn.failures - 1)));
      }
    }
  }

  function dispatchEvent(ev) {
    let data;
    try { data = JSON.parse(ev.data.join("\n")); } catch (e) { return null; }
    if (ev.event === "alert") { onAlertEvent(data); return "alert"; }
    if (ev.event === "update" || ev.event === "") { applyUpdate(data); return "update"; }
    return null;
  }

  // Watchdog: updates come every second and keep-alives every 15 s; silence means a dead connection.
  setInterval(() => {
    if (conn.streaming && conn.controller && Date.now() - conn.lastData > 20000) conn.controller.abort();
  }, 5000);

  /** The page is about a server that has stopped: one snapshot from the store, and no live updates. */
  async function showStopped(message) {
    const first = !conn.stopped;
    conn.stopped = true;
    setLive("stopped", message);
    showBanner(message);
    if (!first) return;
    try {
      const u = await api("api/snapshot");
      u.full = true;
      applyUpdate(u);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) showBanner(message + " " + describeError(e, "api/snapshot"));
    }
  }

  function startPolling(reason) {
    if (conn.polling) return;
    conn.polling = true;
    setLive("polling", (reason || "") + " Polling api/snapshot every 2 s.");
    poll();
  }
  async function poll() {
    if (!conn.polling) return;
    const gen = conn.gen;
    try {
      let u;
      if (!conn.legacy) {
        try {
          u = await api("api/snapshot");
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) conn.legacy = true;
          else throw e;
        }
      }
      if (conn.legacy) u = await legacySnapshot();
      if (!conn.polling) return;
      u.full = true;
      applyUpdate(u);
      // Polling sees one point in two: refresh the history now and then.
      conn.polls = (conn.polls || 0) + 1;
      if (conn.polls % 5 === 0 && !conn.legacy) loadSeries(state.series.range);
      setLive("polling", conn.legacy ? "Polling api/report every 2 s (no api/snapshot on this server)." : "Polling api/snapshot every 2 s.");
      showBanner("");
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      setLive("offline", describeError(e));
      showBanner("Cannot reach mcpwatch: " + describeError(e) + " Retrying…");
    }
    if (conn.polling) conn.pollTimer = setTimeout(poll, 2000);
  }
  /** Builds an update from the older endpoints, for an mcpwatch without api/snapshot. */
  async function legacySnapshot() {
    const [report, health, alerts] = await Promise.all([
      api("api/report"), api("api/health"), api("api/alerts").catch(() => null),
    ]);
    const o = report.overview || {};
    const lat = o.latency || {};
    let counts = null;
    if (alerts) {
      counts = { firing: 0, pending: 0, critical: 0, warning: 0 };
      for (const a of alerts.active || []) {
        if (a.state === "firing") { counts.firing++; if (a.severity) counts[a.severity] = (counts[a.severity] || 0) + 1; }
        if (a.state === "pending") counts.pending++;
      }
    }
    return {
      time: report.generated_at, full: true, uptime_seconds: o.uptime_seconds, server_name: report.server_name,
      server_alive: report.session ? report.session.server_alive : null,
      client: report.session ? report.session.client : null, protocol_version: report.session ? report.session.protocol_version : null,
      health, overview: o,
      window: {
        seconds: null, calls: null, errors: null, calls_per_second: o.throughput ? o.throughput.last_minute : null,
        success_rate: o.success_rate, error_rate: o.error_rate_last_minute, avg_ms: lat.avg_ms, p50_ms: lat.p50_ms,
        p95_ms: lat.p95_ms, p99_ms: lat.p99_ms, in_flight: o.in_flight,
      },
      point: null, system: report.system || null, alerts: counts, tools: report.targets || [],
    };
  }

  function showBanner(text) {
    const b = $("banner");
    setText(b, text);
    b.hidden = !text;
  }

  // ---------------------------------------------------------------- applying an update
  function applyUpdate(u) {
    if (!u || typeof u !== "object") return;
    const t = Date.parse(u.time);
    if (isFinite(t)) clockOffset = t - Date.now();
    const now = isFinite(t) ? t : Date.now();
    state.update = u;

    // Tools: full replaces, partial merges by method + name.
    const tools = Array.isArray(u.tools) ? u.tools : [];
    if (u.full) {
      const keep = new Set(tools.map(toolKey));
      for (const k of Array.from(state.tools.keys())) if (!keep.has(k)) { state.tools.delete(k); state.sparks.delete(k); }
    }
    for (const tool of tools) if (tool && tool.name != null && tool.method != null) state.tools.set(toolKey(tool), tool);
    for (const [k, tool] of state.tools) {
      let s = state.sparks.get(k);
      if (!s) { state.sparks.set(k, { calls: tool.calls, t: now, values: [] }); continue; }
      const dt = (now - s.t) / 1000;
      if (dt <= 0) continue;
      s.values.push(Math.max(0, (tool.calls - s.calls) / dt));
      if (s.values.length > SPARK_POINTS) s.values.shift();
      s.calls = tool.calls;
      s.t = now;
    }

    if (u.point) appendPoint(u.point);
    if (u.system) {
      state.system = u.system;
      appendSystemSample(u.system);
    }
    if (u.alerts) updateAlertCounts(u.alerts);

    renderTopbar(u);
    renderCards(u);
    if (document.hidden) return;
    if (state.view === "overview") drawOverviewCharts();
    else if (state.view === "tools") renderToolsTable();
    else if (state.view === "system") renderSystem();
  }

  function renderTopbar(u) {
    const name = u.server_name || (u.overview && u.overview.server_name) || "waiting for the server";
    setText($("server-name"), name);
    if (u.server_name) document.title = u.server_name + " · mcpwatch";
    // Who is talking, from initialize or from 2026-07-28's _meta: the client and the protocol version in use.
    const peer = (p) => p && p.name ? p.name + (p.version ? " " + p.version : "") : null;
    const parts = [];
    if (peer(u.client)) parts.push("client " + peer(u.client));
    if (u.protocol_version) parts.push("MCP " + u.protocol_version);
    setText($("peer-info"), parts.join(" · "));
    const badge = $("health-badge");
    const h = u.health || {};
    let status = h.status || "unknown";
    let text = status;
    if (u.stopped) { text = "stopped"; status = "degraded"; }
    else if (u.server_alive === false || h.server_alive === false) { text = "server down"; status = "unhealthy"; }
    setAttr(badge, "data-status", status);
    setText(badge, text.charAt(0).toUpperCase() + text.slice(1));
    badge.title = h.summary || "";
  }

  function setCard(id, value, sub, level) {
    const c = $(id);
    if (!c) return;
    setText(c.querySelector(".value"), value);
    if (sub !== undefined) setText(c.querySelector(".sub"), sub);
    setAttr(c, "data-level", level || null);
  }

  function renderCards(u) {
    const w = u.window || {};
    const o = u.overview || {};
    const lat = o.latency || {};
    const winLabel = w.seconds ? "last " + w.seconds + " s" : "last minute";
    setCard("card-calls-per-second", fmtRate(w.calls_per_second), num(w.calls) ? fmtInt(w.calls) + " calls, " + winLabel : winLabel);
    const sr = num(w.success_rate) ? w.success_rate : null;
    setCard("card-success-rate", sr == null ? "–" : fmtPct(sr, sr >= 99.95 || sr === 0 ? 0 : 1),
      num(o.success_rate) ? "all time " + fmtPct(o.success_rate) : winLabel,
      sr == null ? null : sr >= 99 ? "ok" : sr >= 95 ? "warning" : "critical");
    setCard("card-p50", fmtMs(w.p50_ms), "all time " + fmtMs(lat.p50_ms));
    setCard("card-p95", fmtMs(w.p95_ms), "all time " + fmtMs(lat.p95_ms));
    setCard("card-p99", fmtMs(w.p99_ms), "all time " + fmtMs(lat.p99_ms));
    setCard("card-in-flight", fmtInt(num(w.in_flight) ? w.in_flight : o.in_flight), "calls now");
    const winErr = num(w.errors) ? fmtInt(w.errors) + " in " + winLabel : num(o.error_rate_last_minute) ? fmtPct(o.error_rate_last_minute) + " last minute" : "total";
    setCard("card-errors", fmtInt(o.total_errors), winErr, num(w.errors) && w.errors > 0 ? "critical" : null);
    const sys = u.system || state.system;
    const proc = (p, cpuId, memId) => {
      if (!p) { setCard(cpuId, "–", "not sampled yet"); setCard(memId, "–", "not sampled yet"); return; }
      const cpu = p.cpu_percent || {};
      const rss = p.resident_bytes || {};
      const mp = p.memory_percent || {};
      if (p.alive === false) { setCard(cpuId, "–", "process gone", "critical"); setCard(memId, "–", "process gone", "critical"); return; }
      setCard(cpuId, fmtPct(cpu.current), "avg " + fmtPct(cpu.avg) + " · max " + fmtPct(cpu.max));
      setCard(memId, fmtBytes(rss.current), fmtPct(mp.current, 2) + " of RAM · max " + fmtBytes(rss.max));
    };
    proc(sys && sys.server, "card-server-cpu", "card-server-memory");
    proc(sys && sys.mcpwatch, "card-mcpwatch-cpu", "card-mcpwatch-memory");
    const up = num(u.uptime_seconds) ? u.uptime_seconds : o.uptime_seconds;
    setCard("card-uptime", fmtDuration(up), o.start_time ? "since " + fmtTime(o.start_time) : "");
    const h = u.health || {};
    setCard("card-health", h.status ? h.status.charAt(0).toUpperCase() + h.status.slice(1) : "–", h.summary || "",
      h.status === "healthy" ? "ok" : h.status === "degraded" ? "warning" : h.status === "unhealthy" ? "critical" : null);
  }

  // ---------------------------------------------------------------- overview series
  function parsePoint(p) {
    return {
      t: Date.parse(p.time), calls: p.calls || 0, errors: p.errors || 0,
      avg: num(p.avg_ms) ? p.avg_ms : null, p50: num(p.p50_ms) ? p.p50_ms : null, p95: num(p.p95_ms) ? p.p95_ms : null,
      p99: num(p.p99_ms) ? p.p99_ms : null, max: num(p.max_ms) ? p.max_ms : null,
    };
  }
  function appendPoint(raw) {
    const p = parsePoint(raw);
    if (!isFinite(p.t)) return;
    const s = state.series;
    const pts = s.points;
    const last = pts[pts.length - 1];
    if (last && p.t <= last.t && s.step <= 1) return;
    if (last && s.step > 1 && p.t < last.t + s.step * 1000) {
      if (p.t < last.t) return;
      // Fold the 1-s point into the current coarser step.
      const total = last.calls + p.calls;
      if (p.avg != null) last.avg = last.avg == null || !total ? p.avg : (last.avg * last.calls + p.avg * p.calls) / total;
      for (const k of ["p50", "p95", "p99", "max"]) if (p[k] != null) last[k] = last[k] == null ? p[k] : Math.max(last[k], p[k]);
      last.calls = total;
      last.errors += p.errors;
      return;
    }
    pts.push(p);
    const horizon = s.status === "ok" ? p.t - (s.range + 2 * s.step) * 1000 : -Infinity;
    let drop = 0;
    while (drop < pts.length && (pts.length - drop > MAX_POINTS || pts[drop].t < horizon)) drop++;
    if (drop) pts.splice(0, drop);
  }
  // The range picker's seconds as the API's `range` (answered from the store beyond what this process holds).
  function rangeParam(seconds) {
    if (seconds % 86400 === 0) return seconds / 86400 + "d";
    if (seconds % 3600 === 0) return seconds / 3600 + "h";
    if (seconds % 60 === 0) return seconds / 60 + "m";
    return seconds + "s";
  }
  async function loadSeries(range) {
    const s = state.series;
    s.range = range;
    try {
      const d = await api("api/series?range=" + rangeParam(range));
      if (s.range !== range) return; // another range was picked meanwhile
      const pts = (d.points || []).map(parsePoint).filter((p) => isFinite(p.t));
      s.step = d.step_seconds || 1;
      // Keep live points newer than the history.
      const lastT = pts.length ? pts[pts.length - 1].t : -Infinity;
      const newer = s.status === "ok" && s.step === 1 ? s.points.filter((p) => p.t > lastT) : [];
      s.points = pts.concat(newer).slice(-MAX_POINTS);
      s.status = "ok";
      showNote($("overview-note"), "");
    } catch (e) {
      if ((e instanceof ApiError && e.status === 401) || s.range !== range) return;
      if (e instanceof ApiError && e.status === 404) {
        if (s.status === "ok") s.points = [];
        s.status = "missing";
        s.step = 1;
      } else if (s.status === "loading") {
        s.status = "missing";
      }
      showNote($("overview-note"), "History is not available: " + describeError(e, "api/series") + " The charts fill from live updates.");
    }
    drawOverviewCharts();
  }

  function sysSample(time, v) {
    return {
      t: typeof time === "number" ? time : Date.parse(time),
      server_cpu: v.server_cpu, mcpwatch_cpu: v.mcpwatch_cpu, host_cpu: v.host_cpu,
      server_rss: v.server_rss, mcpwatch_rss: v.mcpwatch_rss, host_mem: v.host_mem,
    };
  }
  function appendSystemSample(sys) {
    if (!sys.sampled_at || sys.sampled_at === state.sysLast) return;
    state.sysLast = sys.sampled_at;
    const cur = (o, k) => (o && o[k] && num(o[k].current) ? o[k].current : null);
    const p = sysSample(sys.sampled_at, {
      server_cpu: cur(sys.server, "cpu_percent"), mcpwatch_cpu: cur(sys.mcpwatch, "cpu_percent"), host_cpu: cur(sys.host, "cpu_percent"),
      server_rss: cur(sys.server, "resident_bytes"), mcpwatch_rss: cur(sys.mcpwatch, "resident_bytes"), host_mem: cur(sys.host, "memory_used_percent"),
    });
    const last = state.sys[state.sys.length - 1];
    if (!isFinite(p.t) || (last && p.t <= last.t)) return;
    state.sys.push(p);
    if (state.sys.length > MAX_POINTS) state.sys.splice(0, state.sys.length - MAX_POINTS);
  }
  async function loadSystem() {
    try {
      const d = await api("api/system");
      state.system = d;
      const series = Array.isArray(d.series) ? d.series : [];
      state.sys = series.map((p) => sysSample(p.time, {
        server_cpu: p.server_cpu_percent, mcpwatch_cpu: p.mcpwatch_cpu_percent, host_cpu: p.host_cpu_percent,
        server_rss: p.server_resident_bytes, mcpwatch_rss: p.mcpwatch_resident_bytes, host_mem: p.host_memory_used_percent,
      })).filter((p) => isFinite(p.t)).slice(-MAX_POINTS);
      state.sysLast = d.sampled_at || null;
      showNote($("system-error"), "");
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      showNote($("system-error"), describeError(e, "api/system"));
    }
    if (state.view === "system") renderSystem();
    else if (state.view === "overview") drawOverviewCharts();
  }

  // ---------------------------------------------------------------- charts
  const charts = {};
  function makeCharts() {
    const C = window.Charts;
    const pct = (v) => +v.toFixed(v < 10 ? 1 : 0) + " %";
    charts.throughput = new C.TimeChart($("chart-throughput"), { series: [{ label: "calls/s", fill: true }], format: (v) => +v.toFixed(2) + "" });
    charts.latency = new C.TimeChart($("chart-latency"), {
      series: [{ label: "p50" }, { label: "p95" }, { label: "p99" }], format: fmtMsAxis,
    });
    charts.errors = new C.TimeChart($("chart-error-rate"), { series: [{ label: "error rate", fill: true }], format: pct });
    charts.cpu = new C.TimeChart($("chart-cpu"), { series: [{ label: "server" }, { label: "mcpwatch" }, { label: "host" }], format: pct });
    charts.memory = new C.TimeChart($("chart-memory"), { series: [{ label: "server RSS" }, { label: "mcpwatch RSS" }], format: fmtBytes, bytes: true });
    charts.sysCpu = new C.TimeChart($("chart-sys-cpu"), { series: [{ label: "server" }, { label: "mcpwatch" }], format: pct });
    charts.sysMem = new C.TimeChart($("chart-sys-memory"), { series: [{ label: "server" }, { label: "mcpwatch" }], format: fmtBytes, bytes: true });
    charts.sysHost = new C.TimeChart($("chart-sys-host"), { series: [{ label: "CPU %" }, { label: "memory %" }], format: pct });
    charts.toolDist = new C.BarChart($("chart-tool-distribution"), { format: fmtMs });
    charts.toolCalls = new C.TimeChart($("chart-tool-calls"), { series: [{ label: "calls/s", fill: true }, { label: "errors/s" }], format: (v) => +v.toFixed(2) + "" });
    charts.toolLatency = new C.TimeChart($("chart-tool-latency"), { series: [{ label: "avg" }, { label: "max" }], format: fmtMsAxis });
  }
  function errColor() {
    return getComputedStyle(document.documentElement).getPropertyValue("--chart-3").trim() || "#dc2626";
  }

  // The first moment the overview shows live figures over its history: what scripts/bench/dashboard times.
  let firstRenderMarked = false;
  function markFirstRender() {
    if (firstRenderMarked || !state.update || state.series.status !== "ok" || state.view !== "overview") return;
    firstRenderMarked = true;
    if (window.performance && performance.mark) performance.mark("mcpwatch:first-render");
  }

  function drawOverviewCharts() {
    drawOverviewChartsNow();
    markFirstRender();
  }

  function drawOverviewChartsNow() {
    if (!charts.throughput) return;
    const s = state.series;
    const pts = s.points;
    const end = serverNow();
    const range = [end - s.range * 1000, end];
    const times = new Array(pts.length), cps = new Array(pts.length), err = new Array(pts.length);
    const p50 = new Array(pts.length), p95 = new Array(pts.length), p99 = new Array(pts.length);
    const step = s.step || 1;
    for (let i = 0; i < pts.length; i++) {
      const p = pts[i];
      times[i] = p.t;
      cps[i] = p.calls / step;
      err[i] = p.calls ? (100 * p.errors) / p.calls : null;
      p50[i] = p.p50; p95[i] = p.p95; p99[i] = p.p99;
    }
    charts.throughput.setData(times, [cps], range);
    charts.latency.setData(times, [p50, p95, p99], range);
    charts.errors.opts.series[0].color = errColor();
    charts.errors.setData(times, [err], range);
    const sys = state.sys;
    const st = sys.map((p) => p.t);
    charts.cpu.setData(st, [sys.map((p) => p.server_cpu), sys.map((p) => p.mcpwatch_cpu), sys.map((p) => p.host_cpu)], range);
    charts.memory.setData(st, [sys.map((p) => p.server_rss), sys.map((p) => p.mcpwatch_rss)], range);
    const msg = s.status === "loading" ? "Loading…" : null;
    charts.throughput.setMessage(msg);
    for (const k of ["throughput", "latency", "errors", "cpu", "memory"]) charts[k].draw();
  }

  // ---------------------------------------------------------------- tools table
  const table = { rows: new Map(), sort: { key: "calls", dir: -1 }, filter: "" };
  const TOOL_COLS = ["calls", "errors", "success_rate", "avg_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms", "logical_p95_ms", "last_used"];

  // A logical call runs from the first request to the final result, across input_required rounds and task polls.
  // Until a target has had one longer than a round trip, its logical calls are its round trips.
  function logicalP95(t) { return t.logical ? t.logical.latency.p95_ms : t.p95_ms; }
  function logicalTitle(t) {
    const l = t.logical;
    if (!l) return "Every call was one round trip: the logical latency is the round-trip latency.";
    return l.calls + " logical calls (" + l.multi_round_calls + " of several rounds, " + l.task_calls + " tasks) · p50 " +
      fmtMs(l.latency.p50_ms) + " · p95 " + fmtMs(l.latency.p95_ms) + " · max " + fmtMs(l.latency.max_ms) + " · avg rounds " +
      (num(l.avg_rounds) ? l.avg_rounds.toFixed(2) : "–") + " · client wait " + fmtMs(l.client_wait_ms) + " · task polls " + fmtInt(l.polls);
  }

  function makeRow(tool) {
    const tr = el("tr", { "data-tool": tool.name, "data-method": tool.method, tabindex: "0" });
    const name = el("td", { class: "name" });
    const tname = el("span", { class: "tname" });
    const tmethod = el("span", { class: "tmethod" });
    const slow = el("span", { class: "tag slow", text: "slowest", title: "Highest p95 latency", hidden: true });
    const errTag = el("span", { class: "tag err", text: "most errors", title: "Highest error rate", hidden: true });
    name.append(tname, tmethod, slow, errTag);
    tr.append(name);
    const cells = {};
    for (const c of TOOL_COLS) {
      cells[c] = el("td", { class: c.replace(/_/g, "-") === "calls" ? "calls" : c.replace(/_/g, "-") });
      tr.append(cells[c]);
    }
    const canvas = el("canvas", { width: "120", height: "24", "aria-label": "calls per second" });
    tr.append(el("td", { class: "spark" }, canvas));
    const open = () => { location.hash = "#/tools/" + encodeURIComponent(tool.method) + "/" + encodeURIComponent(tool.name); };
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
    return { tr, tname, tmethod, slow, errTag, cells, canvas, sparkSig: "" };
  }

  function sortValue(t, key) {
    if (key === "name") return (t.name || "").toLowerCase();
    if (key === "last_used") return t.last_used ? Date.parse(t.last_used) : -Infinity;
    const v = key === "logical_p95_ms" ? logicalP95(t) : t[key];
    return num(v) ? v : -Infinity;
  }

  function renderToolsTable() {
    const tbody = $("tools-table").tBodies[0];
    const tools = Array.from(state.tools.values());
    // Badges: slowest p95 and highest error percentage.
    let slowest = null, worst = null;
    for (const t of tools) {
      if (t.calls > 0 && num(t.p95_ms) && (!slowest || t.p95_ms > slowest.p95_ms)) slowest = t;
      if (t.calls > 0 && t.errors > 0 && (!worst || t.errors / t.calls > worst.errors / worst.calls)) worst = t;
    }
    const { key, dir } = table.sort;
    tools.sort((a, b) => {
      const x = sortValue(a, key), y = sortValue(b, key);
      if (x < y) return -dir;
      if (x > y) return dir;
      return toolKey(a) < toolKey(b) ? -1 : 1;
    });
    const f = table.filter.toLowerCase();
    let visible = 0;
    const seen = new Set();
    tools.forEach((t, i) => {
      const k = toolKey(t);
      seen.add(k);
      let row = table.rows.get(k);
      if (!row) { row = makeRow(t); table.rows.set(k, row); }
      setText(row.tname, t.name);
      setText(row.tmethod, t.method === "tools/call" ? "" : t.method === t.name ? "" : t.method);
      setAttr(row.tr, "title", t.method + " " + t.name);
      row.slow.hidden = t !== slowest;
      row.errTag.hidden = t !== worst;
      const c = row.cells;
      setText(c.calls, fmtInt(t.calls));
      setText(c.errors, fmtInt(t.errors));
      setAttr(c.errors, "data-nonzero", t.errors > 0 ? "" : null);
      setAttr(c.errors, "title", num(t.client_errors) ? "client's mistakes " + fmtInt(t.client_errors) + " · server's " + fmtInt(t.server_errors) : null);
      setText(c.success_rate, fmtPct(t.success_rate));
      setText(c.avg_ms, fmtMs(t.avg_ms));
      setText(c.p50_ms, fmtMs(t.p50_ms));
      setText(c.p95_ms, fmtMs(t.p95_ms));
      setText(c.p99_ms, fmtMs(t.p99_ms));
      setText(c.max_ms, fmtMs(t.max_ms));
      setText(c.logical_p95_ms, fmtMs(logicalP95(t)) + (t.logical && t.logical.multi_round_calls + t.logical.task_calls > 0
        ? " (" + (num(t.logical.avg_rounds) ? t.logical.avg_rounds.toFixed(1) : "1") + " rounds)" : ""));
      setAttr(c.logical_p95_ms, "title", logicalTitle(t));
      setText(c.last_used, t.last_used ? fmtAgo(t.last_used) : "never");
      c.last_used.title = t.last_used ? fmtTime(t.last_used) : "";
      const match = !f || t.name.toLowerCase().includes(f) || t.method.toLowerCase().includes(f);
      row.tr.hidden = !match;
      if (match) visible++;
      if (tbody.children[i] !== row.tr) tbody.insertBefore(row.tr, tbody.children[i] || null);
      const spark = state.sparks.get(k);
      const vals = spark ? spark.values : [];
      const sig = vals.length + ":" + (vals.length ? vals[vals.length - 1] : "") + ":" + (spark ? spark.t : "");
      if (match && sig !== row.sparkSig) {
        row.sparkSig = sig;
        window.Charts.sparkline(row.canvas, vals);
      }
    });
    for (const [k, row] of table.rows) if (!seen.has(k)) { row.tr.remove(); table.rows.delete(k); }
    const empty = $("tools-empty");
    empty.hidden = visible > 0;
    setText(empty, tools.length ? "No tool matches the filter." : "No calls seen yet.");
    for (const th of $("tools-table").tHead.rows[0].cells) {
      setAttr(th, "aria-sort", th.dataset.sort === key ? (dir < 0 ? "descending" : "ascending") : null);
    }
  }

  // ---------------------------------------------------------------- tool detail
  let detailTimer = null;
  async function loadDetail() {
    const d = state.detail;
    if (!d) return;
    clearTimeout(detailTimer);
    // The name is percent-encoded as a whole ("/" included): api/tools/ decodes the rest of the path.
    const path = "api/tools/" + encodeURIComponent(d.name) + "?method=" + encodeURIComponent(d.method) + "&seconds=" + d.range;
    try {
      const r = await api(path);
      if (state.detail !== d) return;
      d.missing = false;
      renderDetail(r, d);
      showNote($("tool-error"), "");
    } catch (e) {
      if (state.detail !== d) return;
      d.missing = e instanceof ApiError && e.status === 404;
      if (!(e instanceof ApiError && e.status === 401)) showNote($("tool-error"), describeError(e));
    }
    if (state.view === "tool" && state.detail === d) detailTimer = setTimeout(loadDetail, d.missing ? 15000 : 3000);
  }
  function renderDetail(r, d) {
    const t = r.target || r;
    setText($("tool-title"), t.name);
    setText($("tool-method"), t.method + (t.direction === "server_to_client" ? " · server to client" : ""));
    setCard("tool-card-calls", fmtInt(t.calls), fmtRate(t.calls_per_second) + " calls/s (last minute)");
    setCard("tool-card-errors", fmtInt(t.errors), t.recent && num(t.recent.success_rate) ? "last " + t.recent.calls + " calls: " + fmtPct(100 - t.recent.success_rate) : "", t.errors > 0 ? "critical" : null);
    setCard("tool-card-success", fmtPct(t.success_rate), "all time", num(t.success_rate) ? (t.success_rate >= 99 ? "ok" : t.success_rate >= 95 ? "warning" : "critical") : null);
    setCard("tool-card-p95", fmtMs(t.p95_ms), "p50 " + fmtMs(t.p50_ms) + " · p99 " + fmtMs(t.p99_ms));
    setCard("tool-card-in-flight", fmtInt(t.in_flight), "last used " + (t.last_used ? fmtAgo(t.last_used) : "never"));
    const rb = t.response_bytes || {};
    setCard("tool-card-sizes", fmtBytes(rb.avg), "avg · max " + fmtBytes(rb.max));

    let bars;
    const counted = Array.isArray(r.buckets) ? r.buckets : [];
    const firstUsed = counted.findIndex((b) => b.count > 0);
    if (firstUsed >= 0) {
      // From the first bucket with calls to the last one: the empty ends would only squeeze the bars.
      let lastUsed = counted.length - 1;
      while (lastUsed > firstUsed && !counted[lastUsed].count) lastUsed--;
      const prev = firstUsed > 0 ? counted[firstUsed - 1].le_ms : null;
      bars = counted.slice(firstUsed, lastUsed + 1).map((b, i, all) => ({
        label: b.le_ms != null ? "≤" + fmtMs(b.le_ms) : ">" + fmtMs(i > 0 ? all[i - 1].le_ms : prev),
        value: b.count,
      }));
      charts.toolDist.opts.format = (v) => fmtInt(v);
      setText($("tool-distribution-unit"), "calls per bucket, all time");
    } else {
      bars = [["min", t.min_ms], ["p50", t.p50_ms], ["p90", t.p90_ms], ["p95", t.p95_ms], ["p99", t.p99_ms], ["p99.9", t.p999_ms], ["max", t.max_ms]]
        .map(([label, value]) => ({ label, value }));
      charts.toolDist.opts.format = fmtMs;
      setText($("tool-distribution-unit"), "percentiles, all time");
    }
    charts.toolDist.setData(bars);
    charts.toolDist.draw();

    const series = Array.isArray(r.series) ? r.series : [];
    const times = series.map((p) => Date.parse(p.time));
    let step = Number(r.step_seconds) || 0;
    if (!step && times.length > 1) step = Math.max(1, Math.round((times[1] - times[0]) / 1000));
    step = step || 1;
    const end = serverNow();
    const range = [end - d.range * 1000, end];
    charts.toolCalls.opts.series[1].color = errColor();
    charts.toolCalls.setData(times, [series.map((p) => (p.calls || 0) / step), series.map((p) => (p.errors || 0) / step)], range);
    charts.toolLatency.setData(times, [series.map((p) => (num(p.avg_ms) ? p.avg_ms : null)), series.map((p) => (num(p.max_ms) ? p.max_ms : null))], range);
    charts.toolCalls.draw();
    charts.toolLatency.draw();

    const pairs = [];
    const order = ["ok", "tool_error", "jsonrpc_error", "cancelled", "lost"];
    const outcomes = Object.entries(t.outcomes || {}).sort((a, b) => (order.indexOf(a[0]) + 99) % 99 - (order.indexOf(b[0]) + 99) % 99 || (a[0] < b[0] ? -1 : 1));
    for (const [k, v] of outcomes) pairs.push([k.replace(/_/g, " "), fmtInt(v)]);
    for (const [k, v] of Object.entries(t.error_types || {})) pairs.push(["error " + k, fmtInt(v)]);
    syncKV($("tool-outcomes"), pairs);
    const le = $("tool-last-error");
    if (t.last_error) {
      setText(le, fmtTime(t.last_error.at) + " · " + t.last_error.type + ": " + t.last_error.message);
      le.className = "";
    } else {
      setText(le, "None.");
      le.className = "muted";
    }
    const recent = Array.isArray(r.recent_errors) ? r.recent_errors : Array.isArray(t.recent_errors) ? t.recent_errors : null;
    const ul = $("tool-recent-errors");
    const items = recent ? recent.slice(0, 50) : [{ message: "This mcpwatch reports only the last error.", placeholder: true }];
    syncList(ul, items, (e) => (e.at || "") + (e.message || ""), () => el("li"), (li, e) => {
      setText(li, e.placeholder ? e.message : fmtTime(e.at) + " · " + (e.type || e.code || "error") + ": " + (e.message || ""));
      li.className = e.placeholder ? "muted" : "";
    });
  }

  // ---------------------------------------------------------------- alerts
  let alertsTimer = null;
  let alertsRefreshPending = null;
  function updateAlertCounts(a) {
    state.alertsCounts = a;
    const badge = $("nav-alerts-count");
    const n = a.firing || 0;
    badge.hidden = !n;
    setText(badge, n);
    setAttr(badge, "data-level", a.critical ? "critical" : "warning");
    badge.title = (a.critical || 0) + " critical, " + (a.warning || 0) + " warning, " + (a.pending || 0) + " pending";
    const sig = [a.firing, a.pending, a.critical, a.warning].join(",");
    if (sig !== state.alertsSig) {
      state.alertsSig = sig;
      if (state.view === "alerts") scheduleAlerts();
    }
  }
  function onAlertEvent(ev) {
    if (state.view === "alerts") {
      // Show the transition at once, then refresh the whole picture.
      const items = [ev].concat(state.alertHistory || []).slice(0, 200);
      state.alertHistory = items;
      renderHistory(items);
      scheduleAlerts();
    }
  }
  function scheduleAlerts() {
    clearTimeout(alertsRefreshPending);
    alertsRefreshPending = setTimeout(loadAlerts, 250);
  }
  async function loadAlerts() {
    clearTimeout(alertsTimer);
    try {
      const d = await api("api/alerts?limit=200");
      renderAlerts(d);
      showNote($("alerts-error"), "");
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) showNote($("alerts-error"), describeError(e, "api/alerts"));
    }
    if (state.view === "alerts") alertsTimer = setTimeout(loadAlerts, 10000);
  }
  function alertItem() {
    return el("li", null, el("span", { class: "sev" }), el("span", { class: "what" }, el("span", { class: "rule" }), el("span", { class: "target" }), el("span", { class: "summary" })), el("span", { class: "when" }));
  }
  function renderAlerts(d) {
    setText($("alerts-evaluated"), d.evaluated_at ? "evaluated " + fmtTime(d.evaluated_at) : "");
    const order = { firing: 0, pending: 1, resolved: 2, inactive: 3 };
    const active = (d.active || []).slice().sort((a, b) => (order[a.state] - order[b.state]) || ((b.severity === "critical") - (a.severity === "critical")));
    syncList($("alerts-active"), active, (a) => a.id, alertItem, (li, a) => {
      setAttr(li, "data-alert", a.id);
      setAttr(li, "data-state", a.state);
      const [sev, what, when] = li.children;
      setText(sev, a.state === "firing" ? a.severity || "firing" : a.state);
      setAttr(sev, "data-severity", a.state === "firing" ? a.severity : null);
      setAttr(sev, "data-state", a.state);
      setText(what.children[0], a.rule);
      setText(what.children[1], [a.method, a.target].filter(Boolean).join(" · "));
      const vt = num(a.value) ? " (value " + fmtMetric(a.metric, a.value) + (num(a.threshold) ? ", threshold " + fmtMetric(a.metric, a.threshold) : "") + ")" : "";
      setText(what.children[2], a.summary + vt);
      const since = a.state === "resolved" ? a.resolved_at : a.fired_at || a.started_at;
      setText(when, (a.state === "resolved" ? "resolved " : a.state === "pending" ? "pending since " : "since ") + fmtTime(since));
      when.title = since ? fmtAgo(since) : "";
    });
    $("alerts-active-empty").hidden = active.length > 0;
    state.alertHistory = (d.history || []).slice(0, 200);
    renderHistory(state.alertHistory);
  }
  function renderHistory(items) {
    syncList($("alerts-history"), items, (e) => e.sequence != null ? "s" + e.sequence : e.at + e.alert_id, alertItem, (li, e) => {
      const [sev, what, when] = li.children;
      setText(sev, e.kind);
      setAttr(sev, "data-severity", e.kind === "resolved" || e.kind === "cancelled" ? null : e.severity);
      setAttr(sev, "data-kind", e.kind);
      setText(what.children[0], e.rule);
      setText(what.children[1], [e.method, e.target].filter(Boolean).join(" · "));
      setText(what.children[2], e.summary);
      setText(when, fmtTime(e.at));
    });
    $("alerts-history-empty").hidden = items.length > 0;
  }

  // ---------------------------------------------------------------- system
  function renderSystem() {
    const s = state.system;
    if (s) {
      setText($("system-sampled"), s.sampled_at ? "sampled " + fmtTime(s.sampled_at) + (s.interval_seconds ? " · every " + s.interval_seconds + " s" : "") : "");
      const g = (o, k) => (o && o[k] && typeof o[k] === "object" ? o[k] : {});
      const proc = (p) => {
        if (!p) return [["status", "not sampled"]];
        const cpu = g(p, "cpu_percent"), rss = g(p, "resident_bytes"), mp = g(p, "memory_percent"), fds = g(p, "open_fds"),
          th = g(p, "threads"), tcp = g(p, "tcp_connections"), vb = g(p, "virtual_bytes");
        return [
          ["PID", p.pid != null ? String(p.pid) + (p.process_count > 1 ? " (+" + (p.process_count - 1) + " children)" : "") : "–"],
          ["status", p.alive === false ? "gone" : "running"],
          ["CPU", fmtPct(cpu.current) + "  (avg " + fmtPct(cpu.avg) + ", max " + fmtPct(cpu.max) + ")"],
          ["CPU time", num(p.cpu_seconds_total) ? p.cpu_seconds_total.toFixed(2) + " s" : "–"],
          ["memory RSS", fmtBytes(rss.current) + "  (max " + fmtBytes(rss.max) + ")"],
          ["memory %", fmtPct(mp.current, 2)],
          ["virtual", fmtBytes(vb.current)],
          ["open fds", fmtInt(fds.current) + (num(p.max_fds) ? " / " + fmtInt(p.max_fds) : "")],
          ["threads", fmtInt(th.current)],
          ["TCP connections", fmtInt(tcp.current)],
          ["I/O read", fmtBytes(p.read_bytes)],
          ["I/O written", fmtBytes(p.written_bytes)],
          ["started", num(p.start_time_seconds) ? fmtTime(p.start_time_seconds * 1000) : "–"],
        ];
      };
      syncKV($("system-server"), proc(s.server));
      syncKV($("system-mcpwatch"), proc(s.mcpwatch));
      const h = s.host;
      syncKV($("system-host"), h ? [
        ["CPUs", fmtInt(h.cpu_count)],
        ["CPU", fmtPct(g(h, "cpu_percent").current) + "  (avg " + fmtPct(g(h, "cpu_percent").avg) + ")"],
        ["load 1 / 5 / 15", [h.load1, h.load5, h.load15].map((v) => (num(v) ? v.toFixed(2) : "–")).join(" / ")],
        ["memory used", fmtPct(g(h, "memory_used_percent").current)],
        ["memory available", fmtBytes(h.memory_available_bytes) + " of " + fmtBytes(h.memory_total_bytes)],
        ["open files", fmtInt(h.open_files)],
        ["disk used", fmtPct(g(h, "disk_used_percent").current) + (h.disk_path ? "  (" + h.disk_path + ")" : "")],
        ["disk", fmtBytes(h.disk_used_bytes) + " of " + fmtBytes(h.disk_total_bytes)],
      ] : [["status", "not sampled"]]);
    }
    const sys = state.sys;
    const st = sys.map((p) => p.t);
    const end = serverNow();
    const first = st.length ? Math.min(st[0], end - 300000) : end - 300000;
    const range = [Math.max(first, end - 3600000), end];
    charts.sysCpu.setData(st, [sys.map((p) => p.server_cpu), sys.map((p) => p.mcpwatch_cpu)], range);
    charts.sysMem.setData(st, [sys.map((p) => p.server_rss), sys.map((p) => p.mcpwatch_rss)], range);
    charts.sysHost.setData(st, [sys.map((p) => p.host_cpu), sys.map((p) => p.host_mem)], range);
    charts.sysCpu.draw();
    charts.sysMem.draw();
    charts.sysHost.draw();
  }

  // ---------------------------------------------------------------- report
  let reportText = "";
  async function loadReport() {
    const btn = $("report-refresh");
    btn.disabled = true;
    try {
      const d = await api("api/report");
      reportText = JSON.stringify(d, null, 2);
      setText($("report-json"), reportText);
      showNote($("report-error"), "");
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) showNote($("report-error"), describeError(e, "api/report"));
    } finally {
      btn.disabled = false;
    }
  }
  function downloadReport() {
    if (!reportText) return;
    const url = URL.createObjectURL(new Blob([reportText + "\n"], { type: "application/json" }));
    const a = el("a", { href: url, download: "mcpwatch-report.json" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // ---------------------------------------------------------------- explorer
  const explorer = { tools: [], selected: null, root: null, loaded: false, busy: false };
  let fieldSeq = 0;

  function schemaType(schema) {
    let type = schema.type;
    if (Array.isArray(type)) {
      const nn = type.filter((t) => t !== "null");
      type = nn.length === 1 ? nn[0] : undefined;
    }
    if (!type && schema.properties) type = "object";
    return type;
  }

  /**
   * A form field for a JSON schema. Returns {el, get(ctx), isEmpty()}; get() validates (messages inline unless
   * ctx.silent) and returns the value, or undefined for an optional empty field.
   */
  function makeField(schema, name, path, required, initial, opts) {
    schema = schema && typeof schema === "object" ? schema : {};
    opts = opts || {};
    const type = schemaType(schema);
    const id = "f" + ++fieldSeq;
    const init = initial !== undefined ? initial : schema.default;
    const msg = el("div", { class: "field-msg", id: id + "-msg" });
    const fail = (ctx, text, input) => {
      ctx.errors++;
      if (!ctx.silent) {
        setText(msg, text);
        if (input) { input.classList.add("invalid"); if (!ctx.first) ctx.first = input; }
      }
      return undefined;
    };
    const clear = (input) => { setText(msg, ""); if (input) input.classList.remove("invalid"); };
    const head = (forId) => {
      if (opts.bare) return null;
      const label = el(forId ? "label" : "div", { class: forId ? null : "flabel", for: forId || null }, name);
      if (required) label.append(el("span", { class: "req", title: "required", text: "*" }));
      const th = Array.isArray(schema.enum) ? "enum" : type || "json";
      label.append(el("span", { class: "type", text: th + (schema.format ? " · " + schema.format : "") }));
      return label;
    };
    const desc = () => (schema.description && !opts.bare ? el("p", { class: "desc", text: schema.description }) : null);
    const wrap = (...kids) => el("div", { class: "field", "data-path": path }, ...kids);

    if (Array.isArray(schema.enum)) {
      const sel = el("select", { id, name: path, "aria-describedby": id + "-msg" });
      if (!required || init === undefined) sel.append(el("option", { value: "", text: required ? "Choose…" : "(not set)" }));
      schema.enum.forEach((v, i) => {
        const o = el("option", { value: String(i), text: typeof v === "string" ? v : JSON.stringify(v) });
        if (init !== undefined && JSON.stringify(init) === JSON.stringify(v)) o.selected = true;
        sel.append(o);
      });
      return {
        el: wrap(head(id), desc(), sel, msg),
        isEmpty: () => sel.value === "",
        get(ctx) {
          clear(sel);
          if (sel.value === "") return required ? fail(ctx, "Required: choose a value.", sel) : undefined;
          return schema.enum[Number(sel.value)];
        },
      };
    }

    if (type === "string" || type === "number" || type === "integer") {
      const long = type === "string" && (schema.maxLength > 200 || schema.format === "textarea");
      const input = long
        ? el("textarea", { id, name: path, rows: "4" })
        : el("input", { id, name: path, type: "text", inputmode: type === "string" ? null : "decimal", autocomplete: "off", spellcheck: "false" });
      if (init !== undefined && init !== null) input.value = typeof init === "string" ? init : JSON.stringify(init);
      const hints = [];
      if (num(schema.minimum)) hints.push("≥ " + schema.minimum);
      if (num(schema.maximum)) hints.push("≤ " + schema.maximum);
      if (num(schema.minLength)) hints.push("min length " + schema.minLength);
      if (num(schema.maxLength)) hints.push("max length " + schema.maxLength);
      if (hints.length) input.placeholder = hints.join(", ");
      else if (schema.examples && schema.examples.length) input.placeholder = "e.g. " + String(schema.examples[0]);
      input.setAttribute("aria-describedby", id + "-msg");
      return {
        el: wrap(head(id), desc(), input, msg),
        isEmpty: () => input.value === "",
        get(ctx) {
          clear(input);
          const raw = input.value;
          if (type === "string") {
            if (raw === "") return required ? fail(ctx, "Required.", input) : undefined;
            if (num(schema.minLength) && raw.length < schema.minLength) return fail(ctx, "At least " + schema.minLength + " characters.", input);
            if (num(schema.maxLength) && raw.length > schema.maxLength) return fail(ctx, "At most " + schema.maxLength + " characters.", input);
            if (typeof schema.pattern === "string") {
              let re = null;
              try { re = new RegExp(schema.pattern, "u"); } catch (e) { re = null; }
              if (re && !re.test(raw)) return fail(ctx, "Must match the pattern " + schema.pattern + ".", input);
            }
            if (schema.format === "uri" && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(raw)) return fail(ctx, "Must be a URI (for example https://example.com).", input);
            return raw;
          }
          const s = raw.trim();
          if (s === "") return required ? fail(ctx, "Required.", input) : undefined;
          const n = Number(s);
          if (!isFinite(n)) return fail(ctx, "Must be a number.", input);
          if (type === "integer" && !Number.isInteger(n)) return fail(ctx, "Must be a whole number.", input);
          if (num(schema.minimum) && n < schema.minimum) return fail(ctx, "Must be at least " + schema.minimum + ".", input);
          if (num(schema.maximum) && n > schema.maximum) return fail(ctx, "Must be at most " + schema.maximum + ".", input);
          if (num(schema.exclusiveMinimum) && n <= schema.exclusiveMinimum) return fail(ctx, "Must be more than " + schema.exclusiveMinimum + ".", input);
          if (num(schema.exclusiveMaximum) && n >= schema.exclusiveMaximum) return fail(ctx, "Must be less than " + schema.exclusiveMaximum + ".", input);
          if (num(schema.multipleOf) && Math.abs(n / schema.multipleOf - Math.round(n / schema.multipleOf)) > 1e-9) return fail(ctx, "Must be a multiple of " + schema.multipleOf + ".", input);
          return n;
        },
      };
    }

    if (type === "boolean") {
      if (required) {
        const cb = el("input", { id, name: path, type: "checkbox" });
        cb.checked = init === true;
        const label = el("label", { class: "toggle", for: id }, cb, " " + name);
        label.append(el("span", { class: "req", text: "*" }));
        return { el: wrap(opts.bare ? cb : label, desc(), msg), isEmpty: () => false, get: () => cb.checked };
      }
      const sel = el("select", { id, name: path },
        el("option", { value: "", text: "(not set)" }), el("option", { value: "true", text: "true" }), el("option", { value: "false", text: "false" }));
      if (init === true) sel.value = "true";
      else if (init === false) sel.value = "false";
      return {
        el: wrap(head(id), desc(), sel, msg),
        isEmpty: () => sel.value === "",
        get: () => (sel.value === "" ? undefined : sel.value === "true"),
      };
    }

    if (type === "object" && schema.properties && typeof schema.properties === "object") {
      const req = new Set(Array.isArray(schema.required) ? schema.required : []);
      const children = [];
      const box = opts.root ? el("div") : el("fieldset", { "data-path": path }, el("legend", null, name, required ? el("span", { class: "req", text: "*" }) : null));
      if (!opts.root && schema.description) box.append(el("p", { class: "desc", text: schema.description }));
      const names = Object.keys(schema.properties);
      names.sort((a, b) => (req.has(b) ? 1 : 0) - (req.has(a) ? 1 : 0));
      for (const k of names) {
        const f = makeField(schema.properties[k], k, path ? path + "." + k : k, req.has(k), init && typeof init === "object" ? init[k] : undefined);
        children.push([k, f]);
        box.append(f.el);
      }
      if (!names.length) box.append(el("p", { class: "muted", text: "No arguments." }));
      const isEmpty = () => children.every(([, f]) => f.isEmpty());
      return {
        el: opts.root ? box : wrap(box, msg),
        isEmpty,
        get(ctx) {
          if (!required && !opts.root && isEmpty()) {
            children.forEach(([, f]) => f.get({ errors: 0, silent: true }));
            return undefined;
          }
          const out = {};
          for (const [k, f] of children) {
            const v = f.get(ctx);
            if (v !== undefined) out[k] = v;
          }
          return out;
        },
      };
    }

    if (type === "array" && schema.items && typeof schema.items === "object" && !Array.isArray(schema.items)) {
      const list = el("div", { class: "array-items" });
      const items = [];
      const addBtn = el("button", { type: "button", class: "small", text: "+ Add item" });
      const add = (value) => {
        const f = makeField(schema.items, name + "[]", path + "[]", true, value, { bare: true });
        const rm = el("button", { type: "button", class: "small", text: "Remove", "aria-label": "Remove item" });
        const row = el("div", { class: "array-item" }, f.el, rm);
        const entry = { f, row };
        rm.addEventListener("click", () => {
          const i = items.indexOf(entry);
          if (i >= 0) items.splice(i, 1);
          row.remove();
        });
        items.push(entry);
        list.append(row);
      };
      addBtn.addEventListener("click", () => add(undefined));
      if (Array.isArray(init)) init.forEach((v) => add(v));
      return {
        el: wrap(head(null), desc(), list, addBtn, msg),
        isEmpty: () => items.length === 0,
        get(ctx) {
          clear(null);
          const vals = items.map((it) => it.f.get(ctx));
          if (!items.length && !required) return undefined;
          if (num(schema.minItems) && vals.length < schema.minItems) return fail(ctx, "At least " + schema.minItems + " items.", addBtn);
          if (num(schema.maxItems) && vals.length > schema.maxItems) return fail(ctx, "At most " + schema.maxItems + " items.", addBtn);
          return vals.map((v) => (v === undefined ? null : v));
        },
      };
    }

    // Anything else (no type, anyOf/oneOf, free-form object or tuple arrays): JSON text.
    const ta = el("textarea", { id, name: path, rows: "3", spellcheck: "false", placeholder: "JSON value" });
    if (init !== undefined) ta.value = JSON.stringify(init, null, 2);
    return {
      el: wrap(head(id), desc(), ta, msg),
      isEmpty: () => ta.value.trim() === "",
      get(ctx) {
        clear(ta);
        const s = ta.value.trim();
        if (s === "") return required ? fail(ctx, "Required (JSON).", ta) : undefined;
        try {
          const v = JSON.parse(s);
          if (type === "object" && (typeof v !== "object" || v === null || Array.isArray(v))) return fail(ctx, "Must be a JSON object.", ta);
          if (type === "array" && !Array.isArray(v)) return fail(ctx, "Must be a JSON array.", ta);
          return v;
        } catch (e) {
          return fail(ctx, "Not valid JSON: " + e.message, ta);
        }
      },
    };
  }

  async function loadExplorer() {
    explorer.loaded = true;
    const btn = $("explorer-reload");
    btn.disabled = true;
    try {
      const d = await api("api/explorer/tools");
      explorer.tools = Array.isArray(d.tools) ? d.tools.filter((t) => t && typeof t.name === "string") : [];
      setText($("explorer-fetched"), explorer.tools.length + (explorer.tools.length === 1 ? " tool" : " tools") + (num(d.duration_ms) ? " · listed in " + fmtMs(d.duration_ms) : ""));
      showNote($("explorer-error"), explorer.tools.length ? "" : "The server lists no tools.");
      renderToolButtons();
      if (explorer.selected) {
        const again = explorer.tools.find((t) => t.name === explorer.selected.name);
        if (!again) selectTool(null);
      }
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) {
        const m = e instanceof ApiError && e.status === 503 ? "The server is not ready: " + e.message
          : e instanceof ApiError && e.status === 504 ? "The server did not answer tools/list in time: " + e.message
          : e instanceof ApiError && e.status === 502 ? "The server answered tools/list with an error: " + e.message
          : describeError(e, "api/explorer/tools");
        showNote($("explorer-error"), m);
      }
      explorer.loaded = false;
    } finally {
      btn.disabled = false;
    }
    loadExplorerHistory();
  }
  function renderToolButtons() {
    syncList($("explorer-tool-list"), explorer.tools, (t) => t.name, (t) => {
      const b = el("button", { type: "button" });
      b.addEventListener("click", () => selectTool(explorer.tools.find((x) => x.name === b.dataset.tool) || null));
      return b;
    }, (b, t) => {
      setAttr(b, "data-tool", t.name);
      setText(b, t.title || t.name);
      b.title = t.description || t.name;
      setAttr(b, "aria-pressed", explorer.selected && explorer.selected.name === t.name ? "true" : "false");
    });
  }
  function selectTool(tool) {
    explorer.selected = tool;
    renderToolButtons();
    const fields = $("explorer-fields");
    fields.replaceChildren();
    setText($("explorer-status"), "");
    setText($("explorer-json-msg"), "");
    $("explorer-submit").disabled = !tool;
    if (!tool) {
      setText($("explorer-tool-name"), "Choose a tool");
      setText($("explorer-tool-desc"), "");
      explorer.root = null;
      return;
    }
    setText($("explorer-tool-name"), tool.title || tool.name);
    setText($("explorer-tool-desc"), tool.description || "");
    const schema = tool.inputSchema && typeof tool.inputSchema === "object" ? tool.inputSchema : { type: "object", properties: {} };
    const rootSchema = schema.properties ? schema : { type: "object", properties: {} };
    explorer.root = makeField(rootSchema, "arguments", "", true, undefined, { root: true });
    fields.append(explorer.root.el);
    const jsonMode = $("explorer-json-toggle").checked;
    if (jsonMode) $("explorer-json").value = JSON.stringify(explorer.root.get({ errors: 0, silent: true }) || {}, null, 2);
  }
  function toggleJson() {
    const on = $("explorer-json-toggle").checked;
    $("explorer-json-wrap").hidden = !on;
    $("explorer-fields").hidden = on;
    if (on && explorer.root) $("explorer-json").value = JSON.stringify(explorer.root.get({ errors: 0, silent: true }) || {}, null, 2);
  }
  async function submitCall(ev) {
    ev.preventDefault();
    const tool = explorer.selected;
    if (!tool || explorer.busy) return;
    let args;
    setText($("explorer-json-msg"), "");
    if ($("explorer-json-toggle").checked) {
      try {
        args = JSON.parse($("explorer-json").value || "{}");
      } catch (e) {
        setText($("explorer-json-msg"), "Not valid JSON: " + e.message);
        return;
      }
      if (typeof args !== "object" || args === null || Array.isArray(args)) {
        setText($("explorer-json-msg"), "The arguments must be a JSON object.");
        return;
      }
    } else {
      const ctx = { errors: 0, silent: false, first: null };
      args = explorer.root ? explorer.root.get(ctx) : {};
      if (ctx.errors) {
        setText($("explorer-status"), ctx.errors === 1 ? "Fix the highlighted field." : "Fix the " + ctx.errors + " highlighted fields.");
        if (ctx.first && ctx.first.focus) ctx.first.focus();
        return;
      }
    }
    explorer.busy = true;
    $("explorer-submit").disabled = true;
    setText($("explorer-status"), "Calling " + tool.name + "…");
    try {
      const r = await api("api/call_tool", { method: "POST", body: { name: tool.name, arguments: args || {} } });
      renderResult(r);
      setText($("explorer-status"), "");
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) {
        renderResult({ outcome: "failed", error: { message: describeError(e, "api/call_tool") } });
        setText($("explorer-status"), "");
      }
    } finally {
      explorer.busy = false;
      $("explorer-submit").disabled = !explorer.selected;
    }
    loadExplorerHistory();
  }
  function renderResult(r) {
    const out = $("explorer-result");
    const oc = $("explorer-outcome");
    setText(oc, (r.outcome || "").replace(/_/g, " "));
    setAttr(oc, "data-outcome", r.outcome || null);
    setText($("explorer-duration"), (r.name ? r.name + " · " : "") + (num(r.duration_ms) ? fmtMs(r.duration_ms) : "") + (r.started_at ? " · " + fmtTime(r.started_at) : ""));
    const kids = [];
    if (r.error) kids.push(el("pre", { class: "error-text", text: (r.error.code != null ? r.error.code + ": " : "") + (r.error.message || "") + (r.error.data !== undefined ? "\n" + JSON.stringify(r.error.data, null, 2) : "") }));
    const res = r.result;
    if (res && typeof res === "object") {
      if (res.isError) kids.push(el("p", { class: "muted", text: "The tool reported an error (isError)." }));
      for (const c of Array.isArray(res.content) ? res.content : []) {
        if (c && c.type === "text") {
          const text = String(c.text);
          kids.push(el("pre", { class: "content-text", text: text.length > 200000 ? text.slice(0, 200000) + "\n… (" + text.length + " characters)" : text }));
        } else if (c && (c.type === "image" || c.type === "audio")) {
          kids.push(el("p", { class: "muted", text: c.type + " (" + (c.mimeType || "?") + ", " + fmtBytes(((c.data || "").length * 3) / 4) + ")" }));
        } else {
          kids.push(el("pre", { text: JSON.stringify(c, null, 2) }));
        }
      }
      if (res.structuredContent !== undefined) kids.push(el("details", null, el("summary", { text: "Structured content" }), el("pre", { text: JSON.stringify(res.structuredContent, null, 2) })));
    }
    if (r.outcome === "timeout" && !r.error) kids.push(el("p", { class: "muted", text: "The server did not answer in time." }));
    if (r.arguments !== undefined || res !== undefined) {
      const raw = JSON.stringify(r, null, 2);
      kids.push(el("details", null, el("summary", { text: "Raw JSON" }), el("pre", { text: raw.length > 200000 ? raw.slice(0, 200000) + "\n…" : raw })));
    }
    if (!kids.length) kids.push(el("p", { class: "muted", text: "Empty result." }));
    out.replaceChildren(...kids);
  }
  async function loadExplorerHistory() {
    try {
      const d = await api("api/explorer/calls");
      const calls = (Array.isArray(d.calls) ? d.calls : []).slice(0, 10);
      syncList($("explorer-history"), calls, (c) => c.id != null ? c.id : c.started_at, (c) => {
        const li = el("li", { tabindex: "0" }, el("span", { class: "n" }), el("span", { class: "outcome" }), el("span", { class: "d muted" }), el("span", { class: "t" }));
        li.addEventListener("click", () => li.__call && renderResult(li.__call));
        li.addEventListener("keydown", (e) => { if (e.key === "Enter" && li.__call) renderResult(li.__call); });
        return li;
      }, (li, c) => {
        li.__call = c;
        const [n, o, dd, t] = li.children;
        setText(n, c.name);
        setText(o, (c.outcome || "").replace(/_/g, " "));
        setAttr(o, "data-outcome", c.outcome || null);
        setText(dd, fmtMs(c.duration_ms));
        setText(t, fmtTime(c.started_at));
      });
      $("explorer-history-empty").hidden = calls.length > 0;
      setText($("explorer-history-empty"), "None yet.");
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      $("explorer-history-empty").hidden = false;
      setText($("explorer-history-empty"), describeError(e, "api/explorer/calls"));
    }
  }

  // ---------------------------------------------------------------- routing
  const VIEWS = ["overview", "tools", "tool", "alerts", "system", "calls", "traffic", "report", "explorer", "fleet"];
  function route() {
    const hash = location.hash || "#/overview";
    const parts = hash.replace(/^#\/?/, "").split("/");
    let view = parts[0] || "overview";
    let detail = null;
    if (view === "tools" && parts.length >= 3) {
      try {
        detail = { method: decodeURIComponent(parts[1]), name: decodeURIComponent(parts.slice(2).join("/")) };
        view = "tool";
      } catch (e) {
        view = "tools";
      }
    }
    if (!VIEWS.includes(view) || view === "tool" && !detail) view = "overview";
    state.view = view;
    for (const sec of document.querySelectorAll("section.view")) sec.hidden = sec.dataset.view !== view;
    const navView = view === "tool" ? "tools" : view;
    for (const a of document.querySelectorAll("#nav a")) setAttr(a, "aria-current", a.dataset.view === navView ? "page" : null);
    clearTimeout(detailTimer);
    clearTimeout(alertsTimer);
    if (auth.waiting) return;
    switch (view) {
      case "overview": drawOverviewCharts(); break;
      case "tools": renderToolsTable(); break;
      case "tool": {
        const prev = state.detail;
        const range = prev ? prev.range : 300;
        state.detail = { method: detail.method, name: detail.name, range };
        if (!prev || prev.method !== detail.method || prev.name !== detail.name) {
          setText($("tool-title"), detail.name);
          setText($("tool-method"), detail.method);
        }
        loadDetail();
        break;
      }
      case "alerts": loadAlerts(); break;
      case "system": renderSystem(); loadSystem(); break;
      case "report": loadReport(); break;
      case "calls": if (window.mcpwatchCalls) window.mcpwatchCalls.load(); break;
      case "traffic": if (window.mcpwatchTraffic) window.mcpwatchTraffic.load(); break;
      case "explorer": if (!explorer.loaded) loadExplorer(); else loadExplorerHistory(); break;
      case "fleet": if (window.mcpwatchFleet) window.mcpwatchFleet.show(); break;
    }
  }

  function setupSegmented(groupId, onPick) {
    const group = $(groupId);
    group.addEventListener("click", (e) => {
      const b = e.target.closest("button[data-range]");
      if (!b) return;
      for (const x of group.querySelectorAll("button")) setAttr(x, "aria-pressed", x === b ? "true" : "false");
      onPick(Number(b.dataset.range));
    });
  }

  // ---------------------------------------------------------------- start
  function init() {
    makeCharts();
    $("auth-form").addEventListener("submit", (e) => auth.submit(e));
    setupSegmented("overview-range", (r) => {
      state.series.status = state.series.status === "ok" ? "ok" : state.series.status;
      state.series.range = r;
      drawOverviewCharts();
      loadSeries(r);
    });
    setupSegmented("tool-range", (r) => {
      if (state.detail) { state.detail.range = r; loadDetail(); }
    });
    $("tools-filter").addEventListener("input", (e) => { table.filter = e.target.value.trim(); renderToolsTable(); });
    $("tools-table").tHead.addEventListener("click", (e) => {
      const th = e.target.closest("th[data-sort]");
      if (!th) return;
      const key = th.dataset.sort;
      table.sort = { key, dir: table.sort.key === key ? -table.sort.dir : key === "name" ? 1 : -1 };
      renderToolsTable();
    });
    $("report-refresh").addEventListener("click", loadReport);
    $("report-download").addEventListener("click", downloadReport);
    $("explorer-reload").addEventListener("click", loadExplorer);
    $("explorer-form").addEventListener("submit", submitCall);
    $("explorer-json-toggle").addEventListener("change", toggleJson);
    window.addEventListener("hashchange", route);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) route(); });
    route();
    startConnection();
    loadSeries(300);
    loadSystem();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
