// Passkeys: the browser's half of WebAuthn. The server makes the options and
// checks the answer (the webauthn library); this script only carries them
// between the page and navigator.credentials, binary fields as base64url.
//
// A button with data-passkey="create" or "get" runs the ceremony when its form
// is submitted; data-options is where the options are: a <script
// type="application/json"> selector, or a URL to POST for them. The answer
// goes into the form's "credential" field and the form is submitted to the
// button's formaction (or the form's action). What it says comes in the
// page's language from the script tag's data-messages (JSON).
(() => {
  const MESSAGES = JSON.parse(document.currentScript.dataset.messages);

  const decode = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  };
  const encode = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const descriptors = (list) => (list || []).map((d) => ({ ...d, id: decode(d.id) }));

  const creationOptions = (o) => ({
    ...o,
    challenge: decode(o.challenge),
    user: { ...o.user, id: decode(o.user.id) },
    excludeCredentials: descriptors(o.excludeCredentials),
  });
  const requestOptions = (o) => ({
    ...o,
    challenge: decode(o.challenge),
    allowCredentials: descriptors(o.allowCredentials),
  });

  const answer = (credential) => {
    const r = credential.response;
    const response = { clientDataJSON: encode(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = encode(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = encode(r.authenticatorData);
      response.signature = encode(r.signature);
      if (r.userHandle) response.userHandle = encode(r.userHandle);
    }
    return JSON.stringify({
      id: credential.id,
      rawId: encode(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response,
    });
  };

  const say = (form, message) => {
    const place = form.querySelector(".passkey-error");
    place.textContent = message;
    place.hidden = !message;
  };

  async function options(form, button) {
    const source = button.dataset.options;
    if (source.startsWith("#")) return JSON.parse(document.querySelector(source).textContent);
    const reply = await fetch(source, {
      method: "POST",
      headers: { "X-CSRFToken": form.elements.csrf_token.value },
      credentials: "same-origin",
    });
    const data = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(data.error || MESSAGES.noOptions);
    return data;
  }

  const send = (form, button, credential) => {
    form.elements.credential.value = answer(credential);
    form.action = button.getAttribute("formaction") || form.action;
    HTMLFormElement.prototype.submit.call(form);
  };

  // The browser's passkey autofill on the login page: pending while the page
  // is open, given up when the button asks instead.
  let autofill = null;

  async function ceremony(form, button) {
    say(form, "");
    if (autofill) autofill.abort();
    try {
      const o = await options(form, button);
      const credential = button.dataset.passkey === "create"
        ? await navigator.credentials.create({ publicKey: creationOptions(o) })
        : await navigator.credentials.get({ publicKey: requestOptions(o) });
      send(form, button, credential);
    } catch (error) {
      say(form, MESSAGES[error.name] || error.message || MESSAGES.failed);
    }
  }

  async function offerAutofill(form, button) {
    if (!PublicKeyCredential.isConditionalMediationAvailable) return;
    if (!(await PublicKeyCredential.isConditionalMediationAvailable())) return;
    autofill = new AbortController();
    try {
      const o = await options(form, button);
      const credential = await navigator.credentials.get({
        publicKey: requestOptions(o), mediation: "conditional", signal: autofill.signal,
      });
      send(form, button, credential);
    } catch {
      // Given up for the button, or not chosen: the page goes on as it was.
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const button of document.querySelectorAll("button[data-passkey]")) {
      const form = button.form;
      if (!window.PublicKeyCredential || !navigator.credentials) {
        button.disabled = true;
        say(form, MESSAGES.unsupported);
        continue;
      }
      button.addEventListener("click", (event) => {
        event.preventDefault();
        ceremony(form, button);
      });
      // From now on a click asks the browser (before, it posts the form
      // without an answer, and the page says why).
      button.dataset.ready = "true";
      if (button.dataset.passkey === "get" && form.querySelector('[autocomplete$="webauthn"]')) {
        offerAutofill(form, button);
      }
    }
  });
})();
