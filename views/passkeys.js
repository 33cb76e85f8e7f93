// Passkeys on Tessera's login and account pages. Served from /assets (the pages' CSP allows
// scripts from Tessera only, nothing inline); the pages work without it, minus passkeys.
// It asks Tessera for WebAuthn options, lets the browser's authenticator answer through
// @simplewebauthn/browser (webauthn.js, loaded before this), and posts the answer with the
// form's own fields: the server decides everything.
(function () {
  'use strict';
  var webauthn = window.SimpleWebAuthnBrowser;
  var form = document.getElementById('passkey-form');
  if (!form || !webauthn || !webauthn.browserSupportsWebAuthn()) return;
  var message = document.getElementById('passkey-message');
  var credential = form.querySelector('input[name="credential"]');
  var registering = form.dataset.ceremony === 'registration';

  // The page has one alert at most: this one becomes one only when it has something to say.
  function show(text) {
    message.setAttribute('role', 'alert');
    message.textContent = text;
    message.hidden = false;
  }

  /** The options, with a new challenge bound to this browser (its form's CSRF token proves the page). */
  async function options() {
    var body = new URLSearchParams({ csrf_token: form.querySelector('input[name="csrf_token"]').value });
    var response = await fetch(form.dataset.options, { method: 'POST', body: body, credentials: 'same-origin' });
    if (!response.ok) throw new Error('options');
    return response.json();
  }

  function submit(result) {
    credential.value = JSON.stringify(result);
    form.submit();
  }

  function failed(error) {
    if (error && error.name === 'NotAllowedError') return show('The passkey prompt was closed or timed out. Try again.');
    if (error && error.name === 'InvalidStateError') return show('This authenticator holds a passkey for this account already.');
    show(registering ? 'The passkey could not be added. Try again.' : 'Signing in with a passkey did not work. Try again, or use your password.');
  }

  form.hidden = false;
  var note = document.getElementById('passkey-unsupported');
  if (note) note.hidden = true;

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (registering && !form.reportValidity()) return;
    message.hidden = true;
    options()
      .then(function (optionsJSON) {
        return registering ? webauthn.startRegistration({ optionsJSON: optionsJSON }) : webauthn.startAuthentication({ optionsJSON: optionsJSON });
      })
      .then(submit, failed);
  });

  // Conditional UI (WebAuthn §5.1.4.1 mediation "conditional"): the username field's autofill
  // offers this site's passkeys; picking one signs in. A failure here stays silent: the button
  // and the password remain. Not on the second step, which has no username field.
  if (!registering && form.dataset.autofill !== 'off') {
    webauthn.browserSupportsWebAuthnAutofill().then(function (supported) {
      if (!supported) return;
      options()
        .then(function (optionsJSON) {
          return webauthn.startAuthentication({ optionsJSON: optionsJSON, useBrowserAutofill: true });
        })
        .then(submit, function () {});
    });
  }
})();
