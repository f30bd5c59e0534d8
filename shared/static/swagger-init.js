/* Starts Swagger UI on /docs. A file of its own, not an inline script: the services' Content Security
   Policy allows scripts from the service itself only. The page names the document to show. */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    // Deep links make each operation's path a link inside the button that opens it, which a screen
    // reader cannot reach as either (axe: nested-interactive).
    deepLinking: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null  // no badge from swagger.io: the policy allows images from the service only
  });
})();
