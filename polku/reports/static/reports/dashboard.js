/* Draws the dashboard charts with the vendored Chart.js. Data comes from
   <script type="application/json"> elements (json_script); nothing here is inline. */
(function () {
  "use strict";
  var PALETTE = ["#0b5d4b", "#8a3b00", "#1a57d6", "#6b2c8f", "#7a8791", "#1e6b32"];
  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var horizontal = spec.kind === "hbar";
    var datasets = spec.series.map(function (s, i) {
      var colour = PALETTE[i % PALETTE.length];
      var isTarget = spec.kind === "line" && i > 0;
      return {
        label: s.name,
        data: s.values,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: spec.kind === "line" ? 3 : 0,
        borderDash: isTarget ? [6, 4] : [],
        pointRadius: isTarget ? 0 : 4,
        tension: 0.2
      };
    });
    new Chart(canvas, {
      type: spec.kind === "line" ? "line" : "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: spec.series.length > 1, labels: { font: { size: 14 } } } },
        scales: {
          x: { beginAtZero: true, ticks: { font: { size: 13 }, precision: 0 } },
          y: { beginAtZero: true, ticks: { font: { size: 13 }, precision: 0 } }
        }
      }
    });
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
