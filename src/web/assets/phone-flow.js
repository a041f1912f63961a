// A WhatsApp Flow on the sandbox phone, enhanced: a field with an on-select-action or
// on-unselect-action (its wrapper marked data-flow-select) runs it as soon as the user changes it,
// as WhatsApp does, by submitting the screen's form with the field's own Apply button (which
// names the field). Without JavaScript that Apply button is shown and does the same.
(function () {
  'use strict';
  var form = document.querySelector('form.flow-screen');
  if (!form) return;
  form.classList.add('flow-js');
  var sent = false;
  // A page restored from the back-forward cache may submit again.
  window.addEventListener('pageshow', function () { sent = false; });
  form.addEventListener('change', function (e) {
    var target = e.target;
    if (sent || !target || !target.closest) return;
    var host = target.closest('[data-flow-select]');
    if (!host) return;
    var apply = host.querySelector('button.flow-apply');
    if (!apply) return;
    sent = true;
    if (typeof form.requestSubmit === 'function') form.requestSubmit(apply);
    else apply.click();
  });
})();
