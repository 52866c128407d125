// Swagger UI's initializer, as a file of our own so that the page needs no inline script (CSP
// script-src 'self'). Read-only: no "Try it out", no online validator, no configuration from the URL.
window.addEventListener('DOMContentLoaded', function () {
  window.ui = window.SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    presets: [window.SwaggerUIBundle.presets.apis],
    // Nothing is sent from this page, so the Authorize dialog (credentials for "Try it out") is left out.
    plugins: [
      function () {
        return {
          wrapComponents: {
            authorizeBtn: function () {
              return function () {
                return null;
              };
            },
          },
        };
      },
    ],
    layout: 'BaseLayout',
    deepLinking: true,
    validatorUrl: null,
    queryConfigEnabled: false,
    supportedSubmitMethods: [],
    defaultModelsExpandDepth: 0,
    docExpansion: 'list',
  });
});
