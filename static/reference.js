// The API reference page (pages/product.py): Swagger UI from the swagger-ui-bundle-v2 package, with
// Portico's search over path, summary, operationId and description, the developer's keys for Try it,
// and code samples in curl, Python and JavaScript.
(function () {
  'use strict';
  const settings = JSON.parse(document.getElementById('portico-settings').textContent);
  const LIST_LIMIT = 400;

  // Search: Swagger UI's own filter matches tags only; this one matches what developers look for.
  const SearchPlugin = function () {
    return {
      fn: {
        opsFilter: function (taggedOps, phrase) {
          const words = String(phrase || '').toLowerCase().split(/\s+/).filter(Boolean);
          if (!words.length) return taggedOps;
          return taggedOps.map(function (tag) {
            return tag.set('operations', tag.get('operations').filter(function (op) {
              const o = op.get('operation');
              const text = [op.get('path'), op.get('method'), o.get('summary'), o.get('operationId'),
                            o.get('description')].join(' ').toLowerCase();
              return words.every(function (w) { return text.indexOf(w) >= 0; });
            }));
          }).filter(function (tag) { return tag.get('operations').size > 0; });
        },
      },
    };
  };

  function quote(text) { return JSON.stringify(String(text)); }
  function headersOf(request) {
    const headers = request.get('headers');
    return headers && headers.toJS ? headers.toJS() : (headers || {});
  }
  function bodyOf(request) {
    const body = request.get('body');
    if (body === undefined || body === null) return null;
    if (typeof body === 'string') return body;
    if (body.toJS) {
      const values = body.toJS();
      return Object.keys(values).map(function (k) {
        const v = values[k];
        return encodeURIComponent(k) + '=' + encodeURIComponent(v && v.value !== undefined ? v.value : v);
      }).join('&');
    }
    return String(body);
  }
  const SnippetsPlugin = function () {
    return {
      fn: {
        requestSnippetGenerator_python: function (request) {
          const headers = headersOf(request);
          const body = bodyOf(request);
          const lines = ['import requests', '', 'response = requests.request(',
            '    ' + quote(request.get('method')) + ',', '    ' + quote(request.get('url')) + ','];
          lines.push('    headers={' + Object.keys(headers).map(function (k) {
            return quote(k) + ': ' + quote(headers[k]);
          }).join(', ') + '},');
          if (body !== null) lines.push('    data=' + quote(body) + ',');
          lines.push(')', 'print(response.status_code, response.text)');
          return lines.join('\n');
        },
        requestSnippetGenerator_javascript: function (request) {
          const headers = headersOf(request);
          const body = bodyOf(request);
          const options = ['  method: ' + quote(request.get('method')) + ',',
            '  headers: ' + JSON.stringify(headers) + ','];
          if (body !== null) options.push('  body: ' + quote(body) + ',');
          return 'const response = await fetch(' + quote(request.get('url')) + ', {\n' + options.join('\n') +
            '\n});\nconsole.log(response.status, await response.text());';
        },
      },
    };
  };

  const ui = SwaggerUIBundle({
    url: settings.url,
    dom_id: '#swagger-ui',
    deepLinking: true,
    // a long list costs the browser seconds: past LIST_LIMIT operations the groups start closed and a
    // search opens the groups it finds something in
    docExpansion: settings.operations > LIST_LIMIT ? 'none' : 'list',
    defaultModelsExpandDepth: 0,
    defaultModelExpandDepth: 2,
    displayOperationId: true,
    showExtensions: false,
    showCommonExtensions: true,
    filter: true,
    validatorUrl: null,
    tryItOutEnabled: settings.keys.length > 0,
    persistAuthorization: false,
    withCredentials: false,
    requestSnippetsEnabled: true,
    requestSnippets: {
      generators: {
        curl_bash: { title: 'curl', syntax: 'bash' },
        python: { title: 'Python', syntax: 'python' },
        javascript: { title: 'JavaScript', syntax: 'javascript' },
      },
      defaultExpanded: true,
      languages: null,
    },
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SearchPlugin, SnippetsPlugin],
    onComplete: function () {
      document.getElementById('portico-loading').remove();
      document.body.setAttribute('data-reference-ready', '1');
      if (settings.keys.length) ui.preauthorizeApiKey(settings.scheme, settings.keys[0].key);
      const hash = window.location.hash;
      if (hash) {  // a deep link: Swagger UI opened it; bring it into view once the list is drawn
        setTimeout(function () {
          const target = document.getElementById('operations-' + decodeURIComponent(hash).split('/').slice(1).join('-'));
          if (target) target.scrollIntoView();
        }, 50);
      }
    },
  });
  window.porticoReference = ui;

  const search = document.getElementById('portico-search');
  let timer = null;
  search.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      const system = ui.getSystem();
      system.layoutActions.updateFilter(search.value);
      if (settings.operations > LIST_LIMIT && search.value.trim()) {
        const found = system.fn.opsFilter(system.specSelectors.taggedOperations(), search.value);
        found.keySeq().take(20).forEach(function (tag) { system.layoutActions.show(['operations-tag', tag], true); });
      }
    }, 150);
  });

  // Try it: which app's key to send.
  const place = document.getElementById('portico-try');
  if (settings.keys.length) {
    const label = document.createElement('label');
    label.textContent = 'Try it as ';
    const select = document.createElement('select');
    select.id = 'portico-app';
    settings.keys.forEach(function (entry, index) {
      const option = document.createElement('option');
      option.value = String(index);
      option.textContent = entry.app + ' (' + entry.key.slice(0, 10) + '…)';
      select.appendChild(option);
    });
    select.addEventListener('change', function () {
      ui.preauthorizeApiKey(settings.scheme, settings.keys[Number(select.value)].key);
    });
    label.appendChild(select);
    place.appendChild(label);
  } else {
    const link = document.createElement('a');
    link.id = 'portico-get-key';
    if (settings.signedIn) {
      link.href = settings.productUrl;
      link.textContent = 'To try it, get a key: choose a plan on the product page (Get access).';
    } else {
      link.href = settings.loginUrl;
      link.textContent = 'To try it, log in and get a key for this product.';
    }
    place.appendChild(link);
  }
})();
