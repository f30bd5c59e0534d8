/* The change agents' network: a "join" button for a project's or a municipality's website. No dependencies.
   <script src="https://<network>/button.js" data-municipality="raisio" data-lang="sv" async></script> */
(function () {
  "use strict";
  var W = {
    fi: ["Liity muutosagentiksi", "Lasten ja perheiden hyväksi omassa kunnassasi"],
    sv: ["Bli förändringsagent", "För barn och familjer i din egen kommun"],
    en: ["Become a change agent", "For children and families in your own municipality"]
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
  a.href = origin + "/join/" + m + "?lang=" + lang;
  a.lang = lang;
  a.className = "agent";
  a.appendChild(document.createTextNode(W[lang][0]));
  var small = document.createElement("small");
  small.appendChild(document.createTextNode(W[lang][1]));
  a.appendChild(small);
  if (host.attachShadow) {
    var css = ".agent{display:inline-block;box-sizing:border-box;min-height:44px;padding:.7em 1.3em;" +
      "border-radius:12px;background:#4a2c6b;color:#fff;font:700 1.15rem/1.3 system-ui,-apple-system,'Segoe UI'," +
      "Roboto,sans-serif;text-decoration:none}.agent:hover{background:#351e4e;text-decoration:underline}" +
      ".agent:focus-visible{outline:3px solid #b8470b;outline-offset:2px}" +
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
