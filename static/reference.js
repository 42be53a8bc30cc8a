// The API reference page (pages/product.py): Swagger UI from the swagger-ui-bundle-v2 package, with
// Portico's search over path, summary, operationId and description, the developer's keys for Try it,
// and code samples in curl, Python and JavaScript.
(function () {
  'use strict';
  const settings = JSON.parse(document.getElementById('portico-settings').textContent);
  // Issue 26: an app with an OAuth client tries with an access token this page gets for it (client credentials
  // at the portal's /oauth/token), kept until shortly before it expires, sent as Authorization: Bearer.
  let chosen = settings.keys[0] || null;
  const tokens = {};
  function tokenFor(entry) {
    const held = tokens[entry.oauth.clientId];
    if (held && held.until > Date.now()) return Promise.resolve(held.token);
    return fetch(entry.oauth.tokenUrl, {
      method: 'POST', credentials: 'omit',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded',
                 'Authorization': 'Basic ' + btoa(entry.oauth.clientId + ':' + entry.oauth.secret) },
      body: 'grant_type=client_credentials',
    }).then(function (answer) { return answer.json(); }).then(function (body) {
      if (!body.access_token) throw new Error(body.error_description || 'no access token');
      tokens[entry.oauth.clientId] = { token: body.access_token, until: Date.now() + (body.expires_in - 30) * 1000 };
      return body.access_token;
    });
  }
  function withToken(request) {
    if (!chosen || !chosen.oauth) return request;
    return tokenFor(chosen).then(function (token) {
      delete request.headers[settings.header];
      request.headers.Authorization = 'Bearer ' + token;
      return request;
    });
  }
  const LIST_LIMIT = 50;  // operations listed open at once; past this the tag groups start closed

  // Search: Swagger UI's own filter matches tags only; this one matches what developers look for.
  // The result is kept while the list and the phrase stay the same: Swagger UI filters again at every
  // change (opening an operation), and a new result would draw every listed operation again.
  const SearchPlugin = function (system) {
    let last = { ops: null, phrase: null, found: null };
    return {
      fn: {
        opsFilter: function (taggedOps, phrase) {
          const words = String(phrase || '').toLowerCase().split(/\s+/).filter(Boolean);
          if (!words.length) return taggedOps;
          if (last.phrase === phrase && last.ops && system.Im.is(last.ops, taggedOps)) return last.found;
          const found = taggedOps.map(function (tag) {
            return tag.set('operations', tag.get('operations').filter(function (op) {
              const o = op.get('operation');
              const text = [op.get('path'), op.get('method'), o.get('summary'), o.get('operationId'),
                            o.get('description')].join(' ').toLowerCase();
              return words.every(function (w) { return text.indexOf(w) >= 0; });
            }));
          }).filter(function (tag) { return tag.get('operations').size > 0; });
          last = { ops: taggedOps, phrase: phrase, found: found };
          return found;
        },
      },
    };
  };

  // Opening one operation draws that operation only. Swagger UI hands every listed operation a new
  // `specPath` list at each change (equal, not the same), so each of them was drawn again: with fifty
  // operations listed, most of the time an opening took. Props of closed operations are compared by value.
  function sameProps(a, b, Im) {
    if (!a || !b) return a === b;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every(function (key) { return a[key] === b[key] || Im.is(a[key], b[key]); });
  }
  const openOperations = new Set();  // 'method path' of the operations open now
  const SteadyListPlugin = function (system) {
    return {
      wrapComponents: {
        // Markdown (descriptions of tags, operations, parameters, properties) is rendered and sanitised
        // again each time its parent is drawn; the same text gives the same HTML, so it is drawn once.
        Markdown: function (Original) {
          return class SteadyMarkdown extends system.React.PureComponent {
            render() { return system.React.createElement(Original, this.props); }
          };
        },
        // Swagger UI's own list, with one `specPath` list per operation kept from one drawing to the next
        // (it made a new one each time, so every listed operation's container ran again at each change)
        operations: function (Original) {
          const paths = new Map();
          function specPath(path, method) {
            const key = method + ' ' + path;
            // an open operation gets a new one, so that it is drawn again at each change (it reads values
            // typed into parameters and the chosen key from the store)
            if (openOperations.has(key)) return system.Im.List(['paths', path, method]);
            if (!paths.has(key)) paths.set(key, system.Im.List(['paths', path, method]));
            return paths.get(key);
          }
          return class SteadyOperations extends Original {
            constructor(props, context) {
              super(props, context);
              this.renderOperationTag = (tagObj, tag) => {
                const p = this.props;
                const React = system.React;
                const methods = p.specSelectors.validOperationMethods();
                const Container = p.getComponent('OperationContainer', true);
                const Tag = p.getComponent('OperationTag');
                return React.createElement(Tag, {
                  key: 'operation-' + tag, tagObj: tagObj, tag: tag, oas3Selectors: p.oas3Selectors,
                  layoutSelectors: p.layoutSelectors, layoutActions: p.layoutActions, getConfigs: p.getConfigs,
                  getComponent: p.getComponent, specUrl: p.specSelectors.url(),
                }, React.createElement('div', { className: 'operation-tag-content' }, tagObj.get('operations').map(function (op) {
                  const path = op.get('path');
                  const method = op.get('method');
                  if (methods.indexOf(method) === -1) return null;
                  return React.createElement(Container, {
                    key: path + '-' + method, specPath: specPath(path, method), op: op, path: path, method: method, tag: tag,
                  });
                }).toArray()));
              };
            }
          };
        },
        OperationContainer: function (Original) {
          return class SteadyOperationContainer extends Original {
            render() {
              const key = this.props.method + ' ' + this.props.path;
              if (this.props.isShown) openOperations.add(key); else openOperations.delete(key);
              return super.render();
            }
            shouldComponentUpdate(props, state) {
              // an open operation reads parameters, keys and responses from the store as it draws: always drawn
              if (props.isShown || this.props.isShown) return true;
              return !sameProps(this.props, props, system.Im) || !sameProps(this.state, state, system.Im);
            }
          };
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

  // Code samples before any call: under each opened operation, the request Execute would send (the gateway
  // address, the parameters as filled in so far or as {placeholders}, the chosen key), in the same curl,
  // Python and JavaScript tabs Swagger UI shows after a call. Once a call was made, Swagger UI's own samples
  // of the request actually sent replace these.
  function serverOf(spec, path, method) {
    if (spec.get('swagger')) {
      const schemes = spec.get('schemes');
      return (schemes && schemes.first ? schemes.first() : 'https') + '://' + (spec.get('host') || '') +
        (spec.get('basePath') || '');
    }
    const servers = spec.getIn(['paths', path, method, 'servers']) || spec.getIn(['paths', path, 'servers']) ||
      spec.get('servers');
    return (servers && servers.size ? servers.getIn([0, 'url']) : '') || '';
  }
  function sampleRequest(system, path, method) {
    const Im = system.Im;
    const spec = system.specSelectors.specJson();
    const operation = system.specSelectors.operationWithMeta(path, method);
    const parameters = (spec.getIn(['paths', path, 'parameters']) || Im.List()).filter(function (p) {
      return Im.Map.isMap(p) && !p.get('$ref') && !operation.get('parameters').some(function (q) {
        return q.get('name') === p.get('name') && q.get('in') === p.get('in');
      });
    }).concat(operation.get('parameters'));
    let url = path;
    const query = [];
    const headers = {};
    parameters.forEach(function (p) {
      if (!Im.Map.isMap(p)) return;
      let value = p.get('value');
      if (value && value.toJS) value = value.toJS().join(',');
      const name = p.get('name');
      const given = value !== undefined && value !== null && value !== '';
      if (p.get('in') === 'path') {
        url = url.split('{' + name + '}').join(given ? encodeURIComponent(value) : '{' + name + '}');
      } else if (p.get('in') === 'query' && (given || p.get('required'))) {
        query.push(encodeURIComponent(name) + '=' + (given ? encodeURIComponent(value) : '{' + name + '}'));
      } else if (p.get('in') === 'header' && given) {
        headers[name] = String(value);
      }
    });
    url = serverOf(spec, path, method).replace(/\/$/, '') + url + (query.length ? '?' + query.join('&') : '');
    const auth = system.authSelectors.authorized();
    const key = auth && auth.getIn([settings.scheme, 'value']);
    if (chosen && chosen.oauth) {  // issue 26: an OAuth client's calls carry an access token
      const held = tokens[chosen.oauth.clientId];
      headers.Authorization = 'Bearer ' + (held ? held.token : '<access token from /oauth/token>');
    } else {
      headers[settings.header] = key || '<your API key>';
    }
    let body = null;
    const content = operation.getIn(['requestBody', 'content']);
    if (content && content.size) {
      const type = system.oas3Selectors.requestContentType(path, method) || content.keySeq().first();
      headers['Content-Type'] = type;
      const value = system.oas3Selectors.requestBodyValue(path, method);
      body = value && value.toJS ? value : (value || (/json/.test(type) ? '{}' : null));
    }
    return Im.fromJS({ url: url, method: method.toUpperCase(), headers: headers }).set('body', body);
  }
  const SamplesPlugin = function (system) {
    return {
      wrapComponents: {
        responses: function (Original, sys) {
          return function (props) {
            const React = sys.React;
            const shown = React.createElement(Original, props);
            if (props.tryItOutResponse) return shown;
            let request = null;
            try {
              request = sampleRequest(sys, props.path, props.method);
            } catch (error) {
              return shown;  // never hide the operation for a sample that could not be built
            }
            const Snippets = sys.getComponent('RequestSnippets', true);
            return React.createElement('div', null,
              React.createElement('div', { className: 'portico-samples opblock-section' },
                React.createElement('div', { className: 'opblock-section-header' },
                  React.createElement('h4', null, 'Code samples')),
                React.createElement('div', { className: 'portico-samples-body' },
                  React.createElement(Snippets, { request: request }))),
              shown);
          };
        },
      },
    };
  };

  // Speed at any size (issue 13, point 6). The portal serves JSON, so it is read with JSON.parse rather than
  // Swagger UI's YAML parser (several times slower on megabytes). And opening an operation no longer runs
  // swagger-client's resolver, which first copies the whole document out of its immutable form (about a
  // second for Stripe's size, on every opening): the operation's own subtree is resolved here, references
  // inside the document only (the portal never serves others), each reference followed once per chain (a
  // cycle stays a reference, which Swagger UI shows as the schema's name and opens on demand), and within
  // a budget of nodes, past which references are left for Swagger UI to show by name.
  const RESOLVE_BUDGET = 50000;
  const RESOLVE_DEPTH = 24;
  function pointer(ref) {
    return ref.slice(2).split('/').map(function (part) {
      return decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'));
    });
  }
  function resolveLocally(spec, path) {
    const start = spec.getIn(path);
    if (start === undefined || start === null) return start;
    let budget = RESOLVE_BUDGET;
    const targets = new Map();
    function target(ref) {
      if (!targets.has(ref)) {
        const found = spec.getIn(pointer(ref));
        targets.set(ref, found && found.toJS ? found.toJS() : found);
      }
      return targets.get(ref);
    }
    function walk(node, chain) {
      budget -= 1;
      if (Array.isArray(node)) return node.map(function (item) { return walk(item, chain); });
      if (!node || typeof node !== 'object') return node;
      const ref = node.$ref;
      if (typeof ref === 'string') {
        if (!ref.startsWith('#/') || chain.indexOf(ref) >= 0 || chain.length >= RESOLVE_DEPTH || budget <= 0) return node;
        const found = target(ref);
        if (!found || typeof found !== 'object' || Array.isArray(found)) return node;
        const resolved = walk(found, chain.concat([ref]));
        const merged = Object.assign({}, resolved);
        Object.keys(node).forEach(function (key) { if (key !== '$ref') merged[key] = walk(node[key], chain); });
        merged.$$ref = ref;
        return merged;
      }
      const copy = {};
      Object.keys(node).forEach(function (key) { copy[key] = walk(node[key], chain); });
      return copy;
    }
    return walk(start.toJS ? start.toJS() : start, []);
  }
  let kept = { json: null, filter: null, value: null };  // the list, while the document and the search stay
  const FastPlugin = function () {
    return {
      statePlugins: {
        spec: {
          wrapSelectors: {
            // The grouped, filtered list, kept while the document and the search stay the same. Swagger UI
            // builds it again from the whole document at every change of its spec state (each opened
            // operation stores its resolved subtree there), which gave every listed operation new props.
            // The list shows summaries only; an opened operation's body is read from its resolved subtree.
            taggedOperations: function (original, system) {
              return function (state) {
                const json = state && state.get ? state.get('json') : null;
                const filter = system.layoutSelectors.currentFilter();
                if (json && kept.json === json && kept.filter === filter) return kept.value;
                const value = original.apply(null, arguments);
                kept = { json: json, filter: filter, value: value };
                return value;
              };
            },
          },
          wrapActions: {
            parseToJson: function (original, system) {
              return function (text) {
                const source = text || system.specSelectors.specStr();
                if (typeof source === 'string' && source.charAt(0) === '{') {
                  try {
                    const json = JSON.parse(source);
                    system.errActions.clear({ source: 'parser' });
                    return system.specActions.updateJsonSpec(json);
                  } catch (error) { /* not JSON after all: Swagger UI's own parser says why */ }
                }
                return original(text);
              };
            },
            requestResolvedSubtree: function (original, system) {
              // synchronous: Swagger UI asks for the subtree in the click that opens the operation, so the
              // resolved operation is drawn in the same render as the opening (deferred, the page drew
              // the operation twice: empty, then resolved)
              return function (path) {
                if (system.specSelectors.specResolvedSubtree(path) !== undefined) return;
                let value;
                try {
                  value = resolveLocally(system.specSelectors.specJson(), path);
                } catch (error) {
                  return original(path);  // Swagger UI's own resolver, slower but complete
                }
                if (value !== undefined) system.specActions.updateResolvedSubtree(path, value);
              };
            },
          },
        },
      },
    };
  };

  // Deep links land on the heading (issue 25, item 7): the bar above Swagger UI is sticky, so an operation
  // scrolled to the top of the window was under it. Its height (it wraps on narrow windows) is kept in
  // --portico-bar for the CSS (scroll-margin-top), and Swagger UI's own deep-link scroll (zenscroll, which
  // knows nothing of the bar) is replaced by one that stops below the bar.
  const bar = document.querySelector('.portico-bar');
  function barHeight() { return bar ? bar.getBoundingClientRect().height : 0; }
  function keepBarHeight() { document.documentElement.style.setProperty('--portico-bar', barHeight() + 'px'); }
  keepBarHeight();
  window.addEventListener('resize', keepBarHeight);
  function scrollBelowBar(element) {
    if (!element) return;
    const top = element.getBoundingClientRect().top + window.scrollY - barHeight() - 8;
    window.scrollTo(0, Math.max(0, top));
  }
  const BelowBarPlugin = function () {
    return {
      statePlugins: {
        layout: {
          wrapActions: {
            scrollToElement: function () {
              return function (element) { return function () { scrollBelowBar(element); }; };
            },
          },
        },
      },
    };
  };

  const ui = SwaggerUIBundle({
    url: settings.url,
    dom_id: '#swagger-ui',
    deepLinking: true,
    // a long list costs the browser seconds (every listed operation is drawn again at each change, such as
    // opening one): past LIST_LIMIT operations the groups start closed (the Schemas section too) and a
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
    requestInterceptor: withToken,
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
    plugins: [FastPlugin, SearchPlugin, SteadyListPlugin, SnippetsPlugin, SamplesPlugin, BelowBarPlugin],
    onComplete: function () {
      document.getElementById('portico-loading').remove();
      document.body.setAttribute('data-reference-ready', '1');
      if (settings.keys.length) ui.preauthorizeApiKey(settings.scheme, settings.keys[0].key);
      const hash = window.location.hash;
      if (settings.ready && !hash) openFirstOperation();
      if (hash) {  // a deep link: Swagger UI opened it; bring it into view once the list is drawn
        setTimeout(function () {
          const target = document.getElementById('operations-' + decodeURIComponent(hash).split('/').slice(1).join('-'));
          scrollBelowBar(target);
        }, 50);
      }
    },
  });
  window.porticoReference = ui;

  // After Get access (`?ready=<app>`): say the key is ready and open the first operation to try, a GET
  // where there is one, so that the first call is one Execute away.
  function openFirstOperation() {
    const system = ui.getSystem();
    const tagged = system.specSelectors.taggedOperations();
    let found = null;
    tagged.forEach(function (tag, name) {
      tag.get('operations').forEach(function (op) {
        if (!found || (found.get('method') !== 'get' && op.get('method') === 'get')) found = op.set('tag', name);
      });
    });
    if (!found) return;
    system.layoutActions.show(['operations-tag', found.get('tag')], true);
    let tries = 0;
    const open = function () {
      const block = document.querySelector('[data-tag="' + CSS.escape(found.get('tag')) + '"] ~ * .opblock-' +
        found.get('method') + ' .opblock-summary-control') ||
        document.querySelector('.opblock-' + found.get('method') + ' .opblock-summary-control');
      if (!block) {
        if (++tries < 100) setTimeout(open, 50);
        return;
      }
      if (!block.closest('.opblock').classList.contains('is-open')) block.click();
      scrollBelowBar(block.closest('.opblock'));
    };
    open();
  }

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
  if (settings.ready) {
    const note = document.createElement('p');
    note.id = 'portico-ready';
    note.className = 'portico-ready';
    note.setAttribute('role', 'status');
    note.textContent = 'Your key for ' + settings.ready + ' is ready and chosen for Try it: fill in the ' +
      'parameters and press Execute. It is also under My apps.';
    document.getElementById('swagger-ui').before(note);
  }
  if (settings.keys.length) {
    const label = document.createElement('label');
    label.textContent = 'Try it as ';
    const select = document.createElement('select');
    select.id = 'portico-app';
    settings.keys.forEach(function (entry, index) {
      const option = document.createElement('option');
      option.value = String(index);
      option.textContent = entry.app + (entry.oauth ? ' (OAuth client ' + entry.key.slice(0, 10) + '…)'
        : ' (' + entry.key.slice(0, 10) + '…)');
      select.appendChild(option);
    });
    select.addEventListener('change', function () {
      chosen = settings.keys[Number(select.value)];
      ui.preauthorizeApiKey(settings.scheme, chosen.key);
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
