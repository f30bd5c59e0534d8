/* The request arrived: the draft kept in this tab is no longer needed. */
(function () {
  "use strict";
  try {
    for (var i = sessionStorage.length - 1; i >= 0; i--) {
      var key = sessionStorage.key(i);
      if (key && key.indexOf("apua-draft:") === 0) sessionStorage.removeItem(key);
    }
  } catch (e) { /* storage may be off */ }
})();
