// Partner Hub enhancements; every page works without them.
// [data-copy="id"]: copies the text (or input value) of #id to the clipboard.
// form[data-confirm]: asks before submitting.
(function () {
  'use strict';
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    var id = button.getAttribute('data-copy');
    var source = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var text = 'value' in source ? source.value : source.textContent;
      navigator.clipboard.writeText(text.trim()).then(
        function () { if (status) status.textContent = 'Copied.'; },
        function () { if (status) status.textContent = 'Could not copy; select the text and copy it by hand.'; }
      );
    });
  });
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
    });
  });
})();
