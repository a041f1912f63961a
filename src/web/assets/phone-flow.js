// A WhatsApp Flow on the sandbox phone, enhanced: a field with an on-select-action or
// on-unselect-action (its wrapper marked data-flow-select) runs it as soon as the user changes it,
// as WhatsApp does, by submitting the screen's form with the field's own Apply button (which
// names the field; a CalendarPicker's range once both its dates are picked). Without JavaScript that Apply button is shown and does the same.
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
    // A CalendarPicker's range is selected once both its dates are (a start alone is not yet a selection).
    if (host.hasAttribute('data-flow-range')) {
      var dates = host.querySelectorAll('input[type="date"]');
      for (var i = 0; i < dates.length; i++) if (!dates[i].value) return;
    }
    sent = true;
    if (typeof form.requestSubmit === 'function') form.requestSubmit(apply);
    else apply.click();
  });
})();
