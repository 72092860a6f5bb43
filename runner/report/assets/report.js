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

  // The end of the measured window, as a dashed vertical line: samples
  // that stop before it were not taken, the value did not stay put.
  function drawWindowEnd(c) {
    return function (u) {
      if (!c.windowEnd) return;
      var x = u.valToPos(c.windowEnd, "x", true), b = u.bbox, ctx = u.ctx;
      if (x < b.left || x > b.left + b.width + 1) return;
      ctx.save();
      ctx.strokeStyle = "#57606a";
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(x, b.top);
      ctx.lineTo(x, b.top + b.height);
      ctx.stroke();
      ctx.restore();
    };
  }

  var stepped = uPlot.paths && uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : null;

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
      } else if (s.markers) {
        cfg.points = { show: true, size: 6, stroke: color, fill: color };
      } else {
        cfg.points = { show: false };
      }
      if (s.step && stepped) cfg.paths = stepped;
      if (s.dash) cfg.dash = [6, 4];
      series.push(cfg);
    });
    var opts = {
      width: Math.max(260, el.clientWidth || 560),
      height: 240,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: { time: false, range: function (u, lo, hi) {
          lo = lo == null ? 0 : lo; hi = hi == null ? 1 : hi;
          // Show the whole measured window, also where it has no samples.
          return [Math.min(0, lo), Math.max(hi, c.windowEnd || hi, lo + 0.001)];
        } },
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
        { values: function (u, vals) { return vals.map(function (v) { return +v.toFixed(3) + "s"; }); } },
        { size: 64, values: function (u, vals) { return vals.map(f); } }
      ],
      series: series,
      hooks: { draw: [drawWindowEnd(c)] }
    };
    if (c.bands) opts.hooks.drawClear = [drawBands];
    return new uPlot(opts, data, el);
  }

  var cases = (window.REPORT && window.REPORT.cases) || [];
  var plots = {}; // element id -> {plot, el}

  // showRepeat draws repeat index r of case cs into the case's chart
  // places, replacing what was there; a place the repeat has no chart
  // for says so. It returns [expected, drawn].
  function showRepeat(cs, r) {
    var rep = cs.repeats[r];
    if (!rep) return [0, 0];
    var expected = 0, drawn = 0, seen = {};
    rep.charts.forEach(function (c) {
      expected++;
      seen[c.id] = true;
      var el = document.getElementById(c.id);
      if (!el) { fail("no element for chart " + c.id); return; }
      if (plots[c.id]) { plots[c.id].plot.destroy(); delete plots[c.id]; }
      el.textContent = "";
      try {
        plots[c.id] = { plot: render(c, el), el: el };
        drawn++;
        el.setAttribute("data-rendered", "true");
        var note = document.getElementById(c.id + "-note");
        if (note) note.textContent = c.note ? " · " + c.note : "";
      } catch (e) {
        fail("chart " + c.id + ": " + e.message);
      }
    });
    var section = document.querySelector('section[data-case="' + cs.id + '"]');
    var places = section ? section.querySelectorAll(".plot") : [];
    for (var i = 0; i < places.length; i++) {
      var id = places[i].id;
      if (seen[id]) continue;
      if (plots[id]) { plots[id].plot.destroy(); delete plots[id]; }
      places[i].textContent = "No samples of this kind in repeat " + rep.repeat + ".";
      places[i].removeAttribute("data-rendered");
      var n = document.getElementById(id + "-note");
      if (n) n.textContent = "";
    }
    if (section) section.setAttribute("data-repeat-shown", String(rep.repeat));
    return [expected, drawn];
  }

  // ?repeat=N opens every case at its repeat N (a link to a repeat, and
  // how the browser test checks switching without a click).
  var wanted = null;
  var m = /[?&]repeat=(\d+)/.exec(location.search);
  if (m) wanted = +m[1];

  var expected = 0, drawn = 0;
  if (typeof uPlot !== "function") fail("uPlot did not load");
  cases.forEach(function (cs) {
    var r = 0;
    if (wanted !== null) {
      cs.repeats.forEach(function (rep, i) { if (rep.repeat === wanted) r = i; });
    }
    var sel = document.querySelector('select.repeat[data-case="' + cs.id + '"]');
    if (sel) {
      sel.value = String(r);
      sel.addEventListener("change", function () { showRepeat(cs, +sel.value); });
    }
    var got = showRepeat(cs, r);
    expected += got[0];
    drawn += got[1];
  });
  root.setAttribute("data-charts-expected", String(expected));
  root.setAttribute("data-charts-rendered", String(drawn));
  if (drawn === expected && !root.hasAttribute("data-js-errors")) root.setAttribute("data-charts", "ok");
  // The page's width against the window's, for the phone-width test: a
  // page wider than its window scrolls sideways, which reads badly.
  root.setAttribute("data-scroll-width", String(root.scrollWidth));
  root.setAttribute("data-client-width", String(root.clientWidth));

  var pending = 0;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      Object.keys(plots).forEach(function (id) {
        var p = plots[id];
        p.plot.setSize({ width: Math.max(260, p.el.clientWidth), height: 240 });
      });
    }, 100);
  });
})();
