/* Draws each dashboard chart with the vendored Chart.js from the JSON beside it; the table next to
   the chart holds the same figures for screen readers, keyboards and print. */
(function () {
  "use strict";
  // Okabe–Ito: told apart with the common colour-vision deficiencies.
  var COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var many = spec.series.length > 1;
    var datasets = spec.series.map(function (s, i) {
      var colour = COLOURS[i % COLOURS.length];
      return { label: s.label, data: s.data, backgroundColor: colour, borderColor: colour, borderWidth: 2,
               pointRadius: spec.type === "line" ? 2 : 0, spanGaps: false, tension: 0.2 };
    });
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 300 },
        plugins: { legend: { display: many, position: "bottom" } },
        scales: {
          x: { stacked: spec.stacked, ticks: { color: "#1b1f24", autoSkip: true }, beginAtZero: true },
          y: { stacked: spec.stacked, ticks: { color: "#1b1f24", autoSkip: !spec.horizontal }, beginAtZero: true }
        }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
