/* The request form without losing a word: a counter, a draft kept in this tab, and sending that
   retries by itself when the network or the service is away (the same submission id every time). */
(function () {
  "use strict";
  var DELAYS = [2, 4, 8, 16, 30];
  var FIELDS = ["message", "name", "phone", "email", "call_times", "topic", "child_age_group"];
  // Choices kept with the draft, so that switching the page's language loses none of them. Consent is not:
  // it is given to the text read in the language the family sends in.
  var CHOICES = ["requester_role", "contact_method", "call_windows"];

  function init() {
    var form = document.getElementById("request-form");
    if (!form || !window.fetch || !window.FormData || !window.DOMParser) return;
    var key = "apua-draft:" + form.getAttribute("action");
    var message = form.elements.message;
    var counter = document.getElementById("message-counter");
    var status = document.getElementById("send-status");
    var button = form.querySelector("button[type=submit]");

    function updateCounter() {
      counter.textContent = form.getAttribute("data-counter").replace("{used}", String(message.value.length));
    }
    function choices() {
      return Array.prototype.filter.call(form.querySelectorAll("input[type=radio], input[type=checkbox]"),
                                         function (input) { return CHOICES.indexOf(input.name) >= 0; });
    }
    function save() {
      var draft = {};
      FIELDS.forEach(function (name) { if (form.elements[name]) draft[name] = form.elements[name].value; });
      draft.chosen = choices().filter(function (input) { return input.checked; })
        .map(function (input) { return input.name + "=" + input.value; });
      try { sessionStorage.setItem(key, JSON.stringify(draft)); } catch (e) { /* storage may be off */ }
    }
    try {
      var draft = JSON.parse(sessionStorage.getItem(key) || "null");
      if (draft && !message.value) {
        FIELDS.forEach(function (name) {
          if (form.elements[name] && draft[name] && !form.elements[name].value) form.elements[name].value = draft[name];
        });
        // Only onto a page with nothing chosen: what the server shows again (with an error) comes first.
        var shown = choices().some(function (input) { return input.checked; });
        if (draft.chosen && !shown) {
          choices().forEach(function (input) {
            if (draft.chosen.indexOf(input.name + "=" + input.value) >= 0) input.checked = true;
          });
        }
      }
    } catch (e) { /* a broken draft is simply not restored */ }
    updateCounter();
    message.addEventListener("input", updateCounter);
    form.addEventListener("input", save);
    form.addEventListener("change", save);

    function show(html, ok) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      if (ok) { try { sessionStorage.removeItem(key); } catch (e) { /* nothing kept */ } }
      document.title = doc.title;
      document.body.replaceWith(doc.body);
      window.scrollTo(0, 0);
      var focus = document.getElementById("error-summary") || document.querySelector("h1");
      if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus(); }
      init();
    }
    function send(attempt) {
      button.disabled = true;
      status.textContent = form.getAttribute("data-sending");
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                           headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (response.status >= 500 || response.status === 429) throw new Error(String(response.status));
          return response.text().then(function (html) { show(html, response.ok); });
        })
        .catch(function () {
          if (attempt < DELAYS.length) {
            var seconds = DELAYS[attempt];
            status.textContent = form.getAttribute("data-retry").replace("{seconds}", String(seconds));
            setTimeout(function () { send(attempt + 1); }, seconds * 1000);
          } else {
            status.textContent = form.getAttribute("data-failed");
            button.disabled = false;
          }
        });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save();
      send(0);
    });
  }
  init();
})();
