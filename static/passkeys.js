// Passkeys (WebAuthn) in the browser: the server's options (JSON, binary fields as base64url) become the
// ArrayBuffers navigator.credentials wants, and the credential it makes or finds goes back as JSON, its binary
// fields as base64url again, which is what py_webauthn reads. Served locally; the pages that offer passkeys
// load it (components/passkeys.py) and call it through ui.run_javascript.
(() => {
  const toBytes = (text) => {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
  };
  const toText = (buffer) => {
    let binary = '';
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const descriptors = (list) => (list || []).map((item) => ({...item, id: toBytes(item.id)}));

  // a refusal the person should read, with the reason in words rather than the browser's exception
  const explain = (error, origin) => {
    if (window.location.origin !== origin) {
      return `Passkeys work at ${origin} only (the portal's base URL); this page is open at ${window.location.origin}.`;
    }
    if (!window.PublicKeyCredential) return 'This browser does not support passkeys.';
    if (error && error.name === 'NotAllowedError') return 'The passkey request was cancelled or timed out.';
    if (error && error.name === 'InvalidStateError') return 'This device already holds a passkey for your account.';
    return `The browser refused the passkey request (${error && error.name || 'unknown error'}).`;
  };

  // what both ceremonies send back: the credential's own fields and the response's, as base64url text
  const asJson = (credential, response) => ({credential: {
    id: credential.id, rawId: toText(credential.rawId), type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: {clientDataJSON: toText(credential.response.clientDataJSON), ...response},
  }});

  window.porticoPasskeys = {
    async create(options, origin) {
      try {
        const publicKey = {...options, challenge: toBytes(options.challenge),
          user: {...options.user, id: toBytes(options.user.id)},
          excludeCredentials: descriptors(options.excludeCredentials)};
        const credential = await navigator.credentials.create({publicKey});
        const response = credential.response;
        return asJson(credential, {attestationObject: toText(response.attestationObject),
                                   transports: response.getTransports ? response.getTransports() : []});
      } catch (error) {
        return {error: explain(error, origin)};
      }
    },
    async get(options, origin) {
      try {
        const publicKey = {...options, challenge: toBytes(options.challenge),
          allowCredentials: descriptors(options.allowCredentials)};
        const credential = await navigator.credentials.get({publicKey});
        const response = credential.response;
        return asJson(credential, {authenticatorData: toText(response.authenticatorData),
                                   signature: toText(response.signature),
                                   userHandle: response.userHandle ? toText(response.userHandle) : undefined});
      } catch (error) {
        return {error: explain(error, origin)};
      }
    },
  };
})();
