/* The queue follows changes without reloading: a server-sent event says "changed", the table is fetched again. */
(function () {
  "use strict";
  var box = document.getElementById("queue");
  var live = document.getElementById("queue-live");
  if (!box || !window.EventSource || !window.fetch) return;
  var stream = new EventSource(box.getAttribute("data-stream"));
  stream.addEventListener("changed", function () {
    fetch(box.getAttribute("data-fragment"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        box.innerHTML = html;
        live.textContent = live.getAttribute("data-updated");
      })
      .catch(function () { /* the next change tries again */ });
  });
})();
