// Draws the report's charts from window.REPORT with uPlot. When every chart
// has been drawn without an error the root element gets data-charts="ok";
// the HTML test loads the page in headless Chromium and checks for it.
(function () {
  "use strict";
  var root = document.documentElement;
  var fail = window.__reportError || function (m) { root.setAttribute("data-js-errors", String(m)); };

  function sig3(v) {
    var a = Math.abs(v);
    if (a >= 100) return v.toFixed(0);
    if (a >= 10) return String(+v.toFixed(1));
    if (a >= 0.01 || a === 0) return String(+v.toFixed(2));
    return String(+v.toPrecision(3));
  }
  var fmt = {
    duration: function (s) {
      var a = Math.abs(s);
      if (a === 0) return "0";
      if (a < 1e-6) return sig3(s * 1e9) + "ns";
      if (a < 1e-3) return sig3(s * 1e6) + "µs";
      if (a < 1) return sig3(s * 1e3) + "ms";
      return sig3(s) + "s";
    },
    bytes: function (b) {
      var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
      while (Math.abs(b) >= 1024 && i < u.length - 1) { b /= 1024; i++; }
      return sig3(b) + u[i];
    },
    rate: function (r) { return sig3(r) + "/s"; },
    ratio: function (r) { return sig3(r * 100) + "%"; },
    count: function (c) { return Math.abs(c) >= 1e4 ? sig3(c / 1000) + "k" : sig3(c); },
    number: sig3
  };
  var palette = ["#2f5fc4", "#d4622a", "#1a7f37", "#8250df", "#bf3989", "#0a7ea4", "#9a6700", "#57606a",
    "#e5534b", "#3fb950", "#a371f7", "#db6d28"];

  // Latency bands of the original guide: below 10ms is fine, to 100ms
  // deserves a look, above that the service is blocked.
  var bands = [[0, 0.010, "rgba(26,127,55,0.10)"], [0.010, 0.100, "rgba(212,160,23,0.16)"], [0.100, Infinity, "rgba(207,34,46,0.12)"]];
  function drawBands(u) {
    var ctx = u.ctx, b = u.bbox, max = u.scales.y.max, min = u.scales.y.min;
    ctx.save();
    bands.forEach(function (band) {
      var lo = Math.max(band[0], min), hi = Math.min(band[1], max);
      if (hi <= lo) return;
      var y0 = u.valToPos(lo, "y", true), y1 = u.valToPos(hi, "y", true);
      ctx.fillStyle = band[2];
      ctx.fillRect(b.left, y1, b.width, y0 - y1);
    });
    ctx.restore();
  }

  function render(c, el) {
    var f = fmt[c.unit] || fmt.number;
    var data = [c.x].concat(c.series.map(function (s) { return s.values; }));
    var series = [{ label: "time", value: function (u, v) { return v == null ? "-" : v.toFixed(1) + "s"; } }];
    c.series.forEach(function (s, i) {
      var color = palette[i % palette.length];
      var cfg = { label: s.label, stroke: color, width: 1.5, spanGaps: true, show: !s.hidden,
        value: function (u, v) { return v == null ? "-" : f(v); } };
      if (s.points) {
        cfg.paths = function () { return null; };
        cfg.points = { show: true, size: 8, stroke: color, fill: color };
      } else {
        cfg.points = { show: false };
      }
      if (s.dash) cfg.dash = [6, 4];
      series.push(cfg);
    });
    var opts = {
      width: Math.max(300, el.clientWidth || 560),
      height: 240,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: { time: false },
        y: { range: function (u, lo, hi) {
          lo = lo == null ? 0 : lo; hi = hi == null ? 1 : hi;
          var top = hi > 0 ? hi * 1.1 : 1;
          // Keep the yellow band in view so a chart of small lags still
          // shows how far they are from trouble.
          if (c.bands) top = Math.max(top, 0.012);
          return [Math.min(0, lo), top];
        } }
      },
      axes: [
        { values: function (u, vals) { return vals.map(function (v) { return v + "s"; }); } },
        { size: 64, values: function (u, vals) { return vals.map(f); } }
      ],
      series: series
    };
    if (c.bands) opts.hooks = { drawClear: [drawBands] };
    return new uPlot(opts, data, el);
  }

  var charts = (window.REPORT && window.REPORT.charts) || [];
  var plots = [], drawn = 0;
  if (typeof uPlot !== "function") fail("uPlot did not load");
  charts.forEach(function (c) {
    var el = document.getElementById(c.id);
    if (!el) { fail("no element for chart " + c.id); return; }
    try {
      plots.push({ plot: render(c, el), el: el });
      drawn++;
      el.setAttribute("data-rendered", "true");
    } catch (e) {
      fail("chart " + c.id + ": " + e.message);
    }
  });
  root.setAttribute("data-charts-expected", String(charts.length));
  root.setAttribute("data-charts-rendered", String(drawn));
  if (drawn === charts.length && !root.hasAttribute("data-js-errors")) root.setAttribute("data-charts", "ok");

  var pending = 0;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      plots.forEach(function (p) { p.plot.setSize({ width: Math.max(300, p.el.clientWidth), height: 240 }); });
    }, 100);
  });
})();
