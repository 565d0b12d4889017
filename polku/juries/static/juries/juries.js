// Jury pages: copy a link to the clipboard ("Copy the link" next to a read-only field).
// Vanilla, no inline handlers (strict CSP); without JavaScript the field can be copied by hand.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var done = function () {
      var note = document.querySelector('[data-copied="' + field.id + '"]');
      if (note) note.hidden = false;
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {});
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    }
  });
})();
