/* The reply box's templates: "insert" puts the chosen template's text into the box for editing, without
   reloading. It never sends: the reply goes only when the person presses the reply button. Without
   JavaScript the same form reloads the case page with the text in the box (?template=…). */
(function () {
  "use strict";
  var form = document.getElementById("template-pick");
  var select = document.getElementById("reply-template");
  var box = document.getElementById("reply-text");
  var said = document.getElementById("template-inserted");
  if (!form || !select || !box) return;
  form.addEventListener("submit", function (event) {
    var option = select.options[select.selectedIndex];
    if (!option) return;
    event.preventDefault();
    var text = option.getAttribute("data-text") || "";
    // What the person already wrote stays: the template goes after it.
    box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + text : text;
    if (said) said.textContent = said.getAttribute("data-inserted");
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  });
})();
