// Meta's Embedded Signup on the onboarding's number step (the page's form#es-form carries the
// settings in data-* attributes). Loads Facebook's JavaScript SDK, runs FB.login with the Embedded
// Signup configuration, and waits for both halves of the answer:
// - FB.login's callback: authResponse.code, a short-lived code the server exchanges for the token;
// - a window message from Facebook (only from the configured origins, only of the expected shape):
//   {type: 'WA_EMBEDDED_SIGNUP', event: 'FINISH', data: {phone_number_id, waba_id, …}}.
// Then it posts code and ids to the server (which refuses anything else again). Nothing here sees
// a token; the code goes to the server once and nowhere else.
(function () {
  'use strict';
  var form = document.getElementById('es-form');
  var button = document.getElementById('es-connect');
  var status = document.getElementById('es-status');
  if (!form || !button || !status) return;
  var cfg = form.dataset;
  var origins = (cfg.origins || '').split(' ').filter(Boolean);
  var ID = /^[0-9]{5,32}$/;
  /** Waiting for Facebook's message after the code came, before saying something went wrong. */
  var MESSAGE_WAIT_MS = 15000;
  var attempt = null;

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? 'alert' : 'muted';
    status.setAttribute('role', isError ? 'alert' : 'status');
  }

  function fail(text) {
    if (attempt) attempt.done = true;
    say(text, true);
    button.disabled = false;
  }

  function maybeSubmit() {
    if (!attempt || attempt.done || !attempt.code || !attempt.ids) return;
    attempt.done = true;
    form.elements.namedItem('code').value = attempt.code;
    form.elements.namedItem('phone_number_id').value = attempt.ids.phone_number_id;
    form.elements.namedItem('waba_id').value = attempt.ids.waba_id;
    say('Connected with Facebook: finishing…', false);
    button.disabled = true;
    form.submit();
  }

  /** Meta's message, as an object of the expected shape, or null. */
  function embeddedSignupMessage(event) {
    if (origins.indexOf(event.origin) === -1) {
      // Ignored, but said in the console: it may be Facebook answering from an origin not listed
      // (the README's Embedded Signup: add it to OPENWABA_META_ES_ORIGINS). Only the origin is named.
      var raw = event.data;
      var looksLikeIt = typeof raw === 'string' ? raw.indexOf('WA_EMBEDDED_SIGNUP') !== -1 : !!raw && typeof raw === 'object' && raw.type === 'WA_EMBEDDED_SIGNUP';
      if (looksLikeIt && window.console) {
        console.warn('Embedded Signup: ignored a WA_EMBEDDED_SIGNUP message from ' + event.origin + ', which OPENWABA_META_ES_ORIGINS does not list');
      }
      return null;
    }
    var data = event.data;
    if (typeof data === 'string') {
      if (data.length > 10000) return null;
      try { data = JSON.parse(data); } catch (e) { return null; }
    }
    if (!data || typeof data !== 'object' || data.type !== 'WA_EMBEDDED_SIGNUP' || typeof data.event !== 'string') return null;
    return { event: data.event, data: data.data && typeof data.data === 'object' ? data.data : {} };
  }

  window.addEventListener('message', function (event) {
    var m = embeddedSignupMessage(event);
    if (!m || !attempt || attempt.done) return;
    var d = m.data;
    if (m.event === 'FINISH') {
      var ids = { phone_number_id: String(d.phone_number_id), waba_id: String(d.waba_id) };
      if (!ID.test(ids.phone_number_id) || !ID.test(ids.waba_id)) return fail('Facebook reported the connection in a form we cannot read: connect with Facebook again.');
      attempt.ids = ids;
      maybeSubmit();
    } else if (m.event === 'FINISH_ONLY_WABA') {
      fail('Your WhatsApp Business account is set up, but no phone number was added: connect with Facebook again and add your number.');
    } else if (m.event === 'CANCEL') {
      var step = typeof d.current_step === 'string' ? ' (at “' + d.current_step.slice(0, 80) + '”)' : '';
      fail('You left Facebook’s window before finishing' + step + '. Connect with Facebook again when you are ready.');
    } else if (m.event === 'ERROR') {
      var why = typeof d.error_message === 'string' ? d.error_message.slice(0, 300) : 'no reason given';
      fail('Facebook reported an error: ' + why + '. Connect with Facebook again.');
    }
  });

  function launch() {
    if (!window.FB) return;
    attempt = { code: null, ids: null, done: false };
    var mine = attempt;
    button.disabled = true;
    say('Finish the steps in Facebook’s window…', false);
    window.FB.login(function (response) {
      if (mine !== attempt || mine.done) return;
      var code = response && response.authResponse && response.authResponse.code;
      if (typeof code !== 'string' || code === '') {
        // Facebook's CANCEL or ERROR message (if any) says more; it may come just after this.
        return setTimeout(function () {
          if (!mine.done) fail('Facebook’s window was closed before the number was connected. Connect with Facebook again when you are ready.');
        }, 500);
      }
      mine.code = code;
      maybeSubmit();
      setTimeout(function () {
        if (!mine.done) fail('Facebook did not say which number you connected: connect with Facebook again.');
      }, MESSAGE_WAIT_MS);
    }, {
      config_id: cfg.configId,
      response_type: 'code',
      override_default_response_type: true,
      extras: { setup: {}, sessionInfoVersion: '3' },
    });
  }
  button.addEventListener('click', launch);

  window.fbAsyncInit = function () {
    window.FB.init({ appId: cfg.appId, autoLogAppEvents: true, xfbml: false, version: cfg.graphVersion });
    button.disabled = false;
    say('Ready: connect with Facebook.', false);
  };
  var sdk = document.createElement('script');
  sdk.src = cfg.sdkUrl;
  sdk.async = true;
  sdk.crossOrigin = 'anonymous';
  sdk.onerror = function () {
    fail('Facebook’s login could not be loaded (a content blocker, or no connection to Facebook): allow it for this page and reload.');
    button.disabled = true;
  };
  document.head.appendChild(sdk);
})();
