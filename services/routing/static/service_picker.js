/* The directory's service picker as a combobox (WAI-ARIA 1.2 "list autocomplete"): typing lists the services
   that match (the family's municipality and language), arrow keys move in the list, Enter or a click chooses,
   Escape closes. The chosen service becomes the checked choice of the action's form; nothing is sent until the
   person presses the action's button. Without JavaScript the same search form reloads the case page with the
   matches as choices. */
(function () {
  "use strict";
  var seq = 0;

  function say(status, text) { status.textContent = ""; window.setTimeout(function () { status.textContent = text; }, 50); }

  function countText(form, n) {
    if (n === 0) return form.getAttribute("data-count-none");
    if (n === 1) return form.getAttribute("data-count-one");
    return form.getAttribute("data-count-many").replace("{count}", String(n));
  }

  function enhance(form) {
    var prefix = form.getAttribute("data-prefix");
    var input = document.getElementById(prefix + "-q");
    var status = document.getElementById(prefix + "-q-status");
    var choices = document.getElementById(prefix + "-choices");
    if (!input || !status || !choices) return;
    var list = document.createElement("ul");
    list.id = prefix + "-listbox";
    list.className = "listbox";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-labelledby", prefix + "-q-label");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    var field = (choices.querySelector("input[type=radio]") || {}).name || "service_id";
    var active = -1, timer = null, asked = 0;

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      for (var i = 0; i < all.length; i++) all[i].setAttribute("aria-selected", i === active ? "true" : "false");
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({block: "nearest"});
    }

    function choose(option) {
      var id = option.getAttribute("data-id"), name = option.getAttribute("data-name");
      var radios = choices.querySelectorAll("input[type=radio]"), found = null;
      for (var i = 0; i < radios.length; i++) if (radios[i].value === id) found = radios[i];
      if (!found) {
        seq += 1;
        var row = document.createElement("div");
        row.className = "field check";
        found = document.createElement("input");
        found.type = "radio";
        found.name = field;
        found.value = id;
        found.id = prefix + "-picked-" + seq;
        var label = document.createElement("label");
        label.htmlFor = found.id;
        label.textContent = name;
        var detail = option.getAttribute("data-detail");
        if (detail) {
          var hint = document.createElement("span");
          hint.className = "hint";
          hint.textContent = " (" + detail + ")";
          label.appendChild(hint);
        }
        row.appendChild(found);
        row.appendChild(label);
        var empty = choices.querySelector("p.hint");
        if (empty) empty.remove();
        choices.appendChild(row);
      }
      found.checked = true;
      input.value = name;
      close();
      say(status, form.getAttribute("data-chosen").replace("{name}", name));
    }

    function show(services) {
      list.textContent = "";
      services.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = prefix + "-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-id", s.id);
        li.setAttribute("data-name", s.name);
        li.setAttribute("data-detail", s.detail || "");
        li.textContent = s.name;
        if (s.detail) {
          var detail = document.createElement("span");
          detail.className = "hint";
          detail.textContent = " (" + s.detail + ")";
          li.appendChild(detail);
        }
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });
        li.addEventListener("click", function () { choose(li); });
        list.appendChild(li);
      });
      list.hidden = services.length === 0;
      input.setAttribute("aria-expanded", services.length ? "true" : "false");
      active = -1;
      input.removeAttribute("aria-activedescendant");
      say(status, countText(form, services.length));
    }

    function search() {
      var ask = ++asked;
      var query = new URLSearchParams({q: input.value, municipality: form.getAttribute("data-municipality"),
                                       language: form.getAttribute("data-language"), lang: form.getAttribute("data-lang")});
      fetch("/api/v1/directory?" + query.toString(), {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {services: []}; })
        .then(function (body) { if (ask === asked) show(body.services || []); })
        .catch(function () { /* the search button still reloads the page with the matches */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { search(); return; }
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (!list.hidden) highlight(active - 1);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        choose(options()[active]);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
    form.addEventListener("submit", function (event) { event.preventDefault(); search(); });
  }

  var forms = document.querySelectorAll("[data-service-search]");
  for (var i = 0; i < forms.length; i++) enhance(forms[i]);
})();
