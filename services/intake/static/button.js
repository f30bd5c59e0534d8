/* Pyydä apua! button for a municipality's website. No dependencies, nothing loaded but this file.
   <script src="https://<intake>/button.js" data-municipality="raisio" data-lang="sv" async></script> */
(function () {
  "use strict";
  var W = {
    fi: ["Pyydä apua!", "Lapsiperheiden neuvonta, myös nimettömästi"],
    sv: ["Be om hjälp!", "Rådgivning för barnfamiljer, också anonymt"],
    en: ["Ask for help!", "Advice for families with children, anonymously if you wish"]
  };
  var s = document.currentScript;
  if (!s || !s.parentNode) return;
  var m = s.getAttribute("data-municipality") || "";
  if (!/^[a-z0-9-]{1,64}$/.test(m)) return;
  var lang = (s.getAttribute("data-lang") || document.documentElement.lang || "fi").slice(0, 2);
  if (!W[lang]) lang = "fi";
  var origin = s.src.replace(/^(https?:\/\/[^\/]+).*$/, "$1");
  var host = document.createElement("span");
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var a = document.createElement("a");
  a.href = origin + "/m/" + m + "?lang=" + lang;
  a.lang = lang;
  a.className = "apua";
  a.appendChild(document.createTextNode(W[lang][0]));
  var small = document.createElement("small");
  small.appendChild(document.createTextNode(W[lang][1]));
  a.appendChild(small);
  if (host.attachShadow) {
    var css = ".apua{display:inline-block;box-sizing:border-box;min-height:44px;padding:.7em 1.3em;" +
      "border-radius:12px;background:#0f4c5c;color:#fff;font:700 1.15rem/1.3 system-ui,-apple-system,'Segoe UI'," +
      "Roboto,sans-serif;text-decoration:none}.apua:hover{background:#0b3945;text-decoration:underline}" +
      ".apua:focus-visible{outline:3px solid #b8470b;outline-offset:2px}" +
      "small{display:block;font-weight:400;font-size:.85rem}";
    if (window.CSSStyleSheet && "adoptedStyleSheets" in root) {
      // A constructed sheet is not an inline style: it works under a strict Content Security Policy.
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } else {
      var style = document.createElement("style");
      style.textContent = css;
      root.appendChild(style);
    }
  }
  root.appendChild(a);
  s.parentNode.insertBefore(host, s.nextSibling);
})();
