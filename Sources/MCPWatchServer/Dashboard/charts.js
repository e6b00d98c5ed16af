/* mcpwatch dashboard: small canvas charts (time-series lines, bars, sparklines). No dependencies. */
"use strict";

(function (global) {
  const css = (name, fallback) => {
    const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  };
  const palette = () => ({
    fg: css("--fg", "#1f2328"),
    muted: css("--fg-muted", "#656d76"),
    grid: css("--chart-grid", "rgba(127,127,127,0.18)"),
    bg: css("--surface", "#fff"),
    tipBg: css("--tooltip-bg", "rgba(20,24,30,0.92)"),
    tipFg: css("--tooltip-fg", "#fff"),
    font: css("--font-sans", "system-ui, sans-serif"),
    colors: [1, 2, 3, 4, 5].map((i) => css("--chart-" + i, "#3b82f6")),
  });

  /** Rounds a span into a "nice" tick step (1, 2, 2.5, 5 x 10^n). */
  function niceStep(span, count) {
    const raw = span / Math.max(1, count);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const norm = raw / mag;
    const step = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
    return step * mag;
  }

  const pad2 = (n) => (n < 10 ? "0" : "") + n;
  function timeLabel(ms, withSeconds) {
    const d = new Date(ms);
    return pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + (withSeconds ? ":" + pad2(d.getSeconds()) : "");
  }

  function dayLabel(ms) {
    const d = new Date(ms);
    return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate());
  }

  /** Sizes a canvas to its CSS box times devicePixelRatio; returns {ctx, w, h} in CSS pixels. */
  function prepare(canvas) {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(10, canvas.clientWidth);
    const h = Math.max(10, canvas.clientHeight);
    const pw = Math.round(w * dpr), ph = Math.round(h * dpr);
    if (canvas.width !== pw || canvas.height !== ph) {
      canvas.width = pw;
      canvas.height = ph;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return { ctx, w, h };
  }

  const observer = typeof ResizeObserver === "function"
    ? new ResizeObserver((entries) => {
        for (const e of entries) {
          const chart = e.target.__chart;
          if (chart && e.target.offsetParent !== null) chart.draw();
        }
      })
    : null;

  /**
   * A time-series line chart.
   * options: series: [{label, color?}], format(v) for the y axis and tooltip, min (default 0), max (optional),
   * empty: text shown without data.
   */
  class TimeChart {
    constructor(canvas, options) {
      this.canvas = canvas;
      this.opts = Object.assign({ min: 0, format: (v) => String(v), empty: "No data yet" }, options || {});
      this.times = [];
      this.values = this.opts.series.map(() => []);
      this.range = null; // [fromMs, toMs]
      this.hover = null;
      this.message = null;
      canvas.__chart = this;
      if (observer) observer.observe(canvas);
      canvas.addEventListener("mousemove", (ev) => {
        const r = canvas.getBoundingClientRect();
        this.hover = { x: ev.clientX - r.left, y: ev.clientY - r.top };
        this.draw();
      });
      canvas.addEventListener("mouseleave", () => {
        this.hover = null;
        this.draw();
      });
    }

    /** times: array of ms; values: one array per series (same length, null for gaps). */
    setData(times, values, range) {
      this.times = times;
      this.values = values;
      this.range = range || null;
    }

    setMessage(text) {
      this.message = text || null;
    }

    draw() {
      const canvas = this.canvas;
      if (canvas.offsetParent === null) return; // hidden: drawn when shown
      const { ctx, w, h } = prepare(canvas);
      const p = palette();
      const o = this.opts;
      const times = this.times;
      ctx.font = "11px " + p.font;
      ctx.textBaseline = "middle";

      // Legend (top row).
      let lx = 8;
      o.series.forEach((s, i) => {
        const color = s.color || p.colors[i % p.colors.length];
        ctx.fillStyle = color;
        ctx.fillRect(lx, 8, 10, 3);
        ctx.fillStyle = p.muted;
        ctx.textAlign = "left";
        ctx.fillText(s.label, lx + 14, 10);
        lx += 22 + ctx.measureText(s.label).width;
      });

      const left = 52, right = 10, top = 24, bottom = 22;
      const pw = w - left - right, ph = h - top - bottom;
      if (pw < 20 || ph < 20) return;

      let x0, x1;
      if (this.range) [x0, x1] = this.range;
      else if (times.length) { x0 = times[0]; x1 = times[times.length - 1]; }
      else { x1 = Date.now(); x0 = x1 - 300000; }
      if (x1 <= x0) x1 = x0 + 1000;

      let ymax = -Infinity, ymin = Infinity;
      for (const arr of this.values) {
        for (let i = 0; i < arr.length; i++) {
          const v = arr[i];
          if (v == null || !isFinite(v) || times[i] < x0) continue;
          if (v > ymax) ymax = v;
          if (v < ymin) ymin = v;
        }
      }
      const hasData = ymax !== -Infinity;
      if (!hasData) { ymax = 1; ymin = 0; }
      if (o.min != null) ymin = Math.min(o.min, ymin);
      if (ymax <= ymin) ymax = ymin + (ymin === 0 ? 1 : Math.abs(ymin) * 0.1);
      let unit = 1;
      if (o.bytes) while (ymax / unit >= 1024 && unit < 1099511627776) unit *= 1024;
      const step = niceStep((ymax - ymin) / unit, 4) * unit;
      ymax = Math.ceil(ymax / step) * step;
      ymin = Math.floor(ymin / step) * step;

      const X = (t) => left + ((t - x0) / (x1 - x0)) * pw;
      const Y = (v) => top + ph - ((v - ymin) / (ymax - ymin)) * ph;

      // Grid and y labels.
      ctx.strokeStyle = p.grid;
      ctx.lineWidth = 1;
      ctx.fillStyle = p.muted;
      ctx.textAlign = "right";
      for (let v = ymin; v <= ymax + step / 2; v += step) {
        const y = Math.round(Y(v)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(left, y);
        ctx.lineTo(left + pw, y);
        ctx.stroke();
        if (hasData) ctx.fillText(o.format(v, true), left - 6, y);
      }
      // X labels.
      const span = x1 - x0;
      // Up to days, for the ranges the store reaches back to (24 h, 7 d, 30 d).
      const tstep = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
        .map((s) => s * 1000).find((s) => span / s <= Math.max(2, Math.floor(pw / 90))) || 604800000;
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      const withSeconds = tstep < 60000;
      for (let t = Math.ceil(x0 / tstep) * tstep; t <= x1; t += tstep) {
        const x = X(t);
        if (x < left + 14 || x > left + pw - 14) continue;
        ctx.fillText(tstep >= 86400000 ? dayLabel(t) : timeLabel(t, withSeconds), x, top + ph + 6);
      }
      ctx.textBaseline = "middle";

      if (!hasData || this.message) {
        ctx.textAlign = "center";
        ctx.fillStyle = p.muted;
        ctx.font = "12px " + p.font;
        ctx.fillText(this.message || o.empty, left + pw / 2, top + ph / 2);
        if (!hasData) return;
      }

      // Lines.
      ctx.save();
      ctx.beginPath();
      ctx.rect(left, top - 2, pw, ph + 4);
      ctx.clip();
      ctx.lineJoin = "round";
      ctx.lineWidth = 1.6;
      this.values.forEach((arr, si) => {
        const s = o.series[si];
        ctx.strokeStyle = s.color || p.colors[si % p.colors.length];
        ctx.beginPath();
        let pen = false;
        for (let i = 0; i < arr.length; i++) {
          const v = arr[i];
          if (v == null || !isFinite(v)) { pen = false; continue; }
          const x = X(times[i]), y = Y(v);
          if (pen) ctx.lineTo(x, y); else { ctx.moveTo(x, y); pen = true; }
        }
        ctx.stroke();
        if (s.fill) {
          ctx.globalAlpha = 0.12;
          ctx.fillStyle = ctx.strokeStyle;
          let started = false, lastX = 0, firstX = 0;
          ctx.beginPath();
          for (let i = 0; i < arr.length; i++) {
            const v = arr[i];
            if (v == null || !isFinite(v)) continue;
            const x = X(times[i]);
            if (!started) { ctx.moveTo(x, Y(ymin)); firstX = x; started = true; }
            ctx.lineTo(x, Y(v));
            lastX = x;
          }
          if (started) {
            ctx.lineTo(lastX, Y(ymin));
            ctx.lineTo(firstX, Y(ymin));
            ctx.fill();
          }
          ctx.globalAlpha = 1;
        }
      });
      ctx.restore();

      // Hover tooltip.
      const hv = this.hover;
      if (hv && hv.x >= left && hv.x <= left + pw && times.length) {
        const t = x0 + ((hv.x - left) / pw) * (x1 - x0);
        let lo = 0, hi = times.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (times[mid] < t) lo = mid + 1; else hi = mid;
        }
        if (lo > 0 && Math.abs(times[lo - 1] - t) < Math.abs(times[lo] - t)) lo--;
        const x = X(times[lo]);
        ctx.strokeStyle = p.muted;
        ctx.setLineDash([3, 3]);
        ctx.beginPath();
        ctx.moveTo(Math.round(x) + 0.5, top);
        ctx.lineTo(Math.round(x) + 0.5, top + ph);
        ctx.stroke();
        ctx.setLineDash([]);
        const lines = [(x1 - x0 > 86400000 ? dayLabel(times[lo]) + " " : "") + timeLabel(times[lo], true)];
        o.series.forEach((s, si) => {
          const v = this.values[si][lo];
          lines.push(s.label + ": " + (v == null ? "–" : o.format(v, false)));
        });
        ctx.font = "11px " + p.font;
        const tw = Math.max(...lines.map((l) => ctx.measureText(l).width)) + 14;
        const th = lines.length * 15 + 8;
        let bx = x + 10;
        if (bx + tw > w - 2) bx = x - 10 - tw;
        const by = Math.max(2, Math.min(h - th - 2, hv.y - th / 2));
        ctx.fillStyle = p.tipBg;
        ctx.fillRect(bx, by, tw, th);
        ctx.textAlign = "left";
        lines.forEach((l, i) => {
          if (i > 0) {
            ctx.fillStyle = o.series[i - 1].color || p.colors[(i - 1) % p.colors.length];
            ctx.fillRect(bx + 6, by + 6 + i * 15, 6, 6);
          }
          ctx.fillStyle = p.tipFg;
          ctx.fillText(l, bx + (i > 0 ? 16 : 7), by + 10 + i * 15);
        });
      }
    }
  }

  /** Vertical bars with a label under each and its value above. bars: [{label, value}] */
  class BarChart {
    constructor(canvas, options) {
      this.canvas = canvas;
      this.opts = Object.assign({ format: (v) => String(v), empty: "No data yet" }, options || {});
      this.bars = [];
      canvas.__chart = this;
      if (observer) observer.observe(canvas);
    }

    setData(bars) {
      this.bars = bars;
    }

    draw() {
      const canvas = this.canvas;
      if (canvas.offsetParent === null) return;
      const { ctx, w, h } = prepare(canvas);
      const p = palette();
      const o = this.opts;
      ctx.font = "11px " + p.font;
      const bars = this.bars.filter((b) => b.value != null && isFinite(b.value));
      const left = 10, right = 10, top = 22, bottom = 22;
      const pw = w - left - right, ph = h - top - bottom;
      if (!bars.length) {
        ctx.fillStyle = p.muted;
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        ctx.fillText(o.empty, w / 2, h / 2);
        return;
      }
      const max = Math.max(...bars.map((b) => b.value)) || 1;
      const slot = pw / bars.length;
      const bw = Math.min(56, slot * 0.62);
      bars.forEach((b, i) => {
        const cx = left + slot * (i + 0.5);
        const bh = Math.max(1, (b.value / max) * ph);
        ctx.fillStyle = b.color || p.colors[0];
        ctx.globalAlpha = 0.85;
        ctx.fillRect(cx - bw / 2, top + ph - bh, bw, bh);
        ctx.globalAlpha = 1;
        ctx.fillStyle = p.fg;
        ctx.textAlign = "center";
        ctx.textBaseline = "bottom";
        ctx.fillText(o.format(b.value), cx, top + ph - bh - 3);
        ctx.fillStyle = p.muted;
        ctx.textBaseline = "top";
        ctx.fillText(b.label, cx, top + ph + 6);
      });
      ctx.strokeStyle = p.grid;
      ctx.beginPath();
      ctx.moveTo(left, top + ph + 0.5);
      ctx.lineTo(left + pw, top + ph + 0.5);
      ctx.stroke();
    }
  }

  /** Draws a tiny line of values into a canvas (no axes). */
  function sparkline(canvas, values, color) {
    const { ctx, w, h } = prepare(canvas);
    if (!values.length) return;
    const p = palette();
    let max = 0;
    for (const v of values) if (v > max) max = v;
    if (max <= 0) max = 1;
    const n = 60;
    const dx = w / (n - 1);
    const off = n - values.length;
    ctx.strokeStyle = color || p.colors[0];
    ctx.lineWidth = 1.3;
    ctx.beginPath();
    values.forEach((v, i) => {
      const x = (off + i) * dx;
      const y = h - 2 - (v / max) * (h - 4);
      if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
    });
    ctx.stroke();
    ctx.globalAlpha = 0.14;
    ctx.lineTo((off + values.length - 1) * dx, h);
    ctx.lineTo(off * dx, h);
    ctx.fillStyle = ctx.strokeStyle;
    ctx.fill();
    ctx.globalAlpha = 1;
  }

  global.Charts = { TimeChart, BarChart, sparkline, niceStep };
})(window);
