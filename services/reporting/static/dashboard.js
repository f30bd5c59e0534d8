/* Draws each dashboard chart with the vendored Chart.js from the JSON beside it; the table next to
   the chart holds the same figures for screen readers, keyboards and print. Each axis says what it
   counts and in which unit; a chart whose series are alternatives (a count, a rate) draws one at a
   time and lets the reader choose, with the caption saying which is shown. */
(function () {
  "use strict";
  // Okabe–Ito: told apart with the common colour-vision deficiencies.
  var COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
  var INK = "#1b1f24";
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function dataset(s, i, type) {
    var colour = COLOURS[i % COLOURS.length];
    return { label: s.label, data: s.data, backgroundColor: colour, borderColor: colour, borderWidth: 2,
             pointRadius: type === "line" ? 2 : 0, spanGaps: false, tension: 0.2 };
  }

  function axis(title, stacked, autoSkip) {
    return { stacked: stacked, beginAtZero: true, ticks: { color: INK, autoSkip: autoSkip },
             title: { display: true, text: title, color: INK, font: { weight: "bold" } } };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var shown = spec.alternatives ? [spec.series[spec.initial]] : spec.series;
    var valueTitle = shown[0].axis;
    var category = axis(spec.category_title, spec.stacked, !spec.horizontal);
    var value = axis(valueTitle, spec.stacked, true);
    var chart = new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: shown.map(function (s, i) { return dataset(s, i, spec.type); }) },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 300 },
        plugins: { legend: { display: shown.length > 1, position: "bottom" } },
        scales: spec.horizontal ? { x: value, y: category } : { x: category, y: value }
      }
    });
    canvas.setAttribute("data-drawn", "true");
    var choice = document.querySelector('[data-choice-for="' + canvas.id + '"]');
    if (!choice) { return; }
    var caption = canvas.closest("figure").querySelector("figcaption");
    choice.hidden = false;  // without script the table beside the chart has both figures
    choice.addEventListener("change", function (event) {
      var index = Number(event.target.value);
      var s = spec.series[index];
      chart.data.datasets = [dataset(s, index, spec.type)];
      chart.options.scales[spec.horizontal ? "x" : "y"].title.text = s.axis;
      chart.update();
      caption.textContent = event.target.getAttribute("data-caption");
      canvas.setAttribute("data-series", String(index));
    });
    canvas.setAttribute("data-series", String(spec.initial));
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
