/* Behaviour shared by all pages. No inline handlers: the CSP allows scripts only from files. */
(function () {
  "use strict";

  // Filter forms re-submit when a select changes (the submit button stays for keyboards).
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-autosubmit") && event.target.tagName === "SELECT") {
      // A new county invalidates the chosen town and village, a new town the village.
      var order = ["county", "town", "village"];
      var at = order.indexOf(event.target.name);
      if (at >= 0) {
        order.slice(at + 1).forEach(function (name) {
          if (form.elements[name]) form.elements[name].value = "";
        });
      }
      if (form.elements.page) form.elements.page.value = "";
      form.requestSubmit();
    }
  });

  // Buttons that change the record ask first: <button data-confirm="…">.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var text = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
    if (text && !window.confirm(text)) event.preventDefault();
  });

  // On the map, messages float over the map's own controls: let them go after a while.
  if (document.body.classList.contains("page-map")) {
    window.setTimeout(function () {
      document.querySelectorAll(".app-messages .alert").forEach(function (alert) {
        alert.remove();
      });
    }, 4000);
  }
})();
