// Starts Swagger UI on the app's own OpenAPI document (no CDN, no inline script).
"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
