// StrideBack's only page script (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  // Week charts wider than a phone scroll inside their box: start at the most recent end.
  function scrollCharts(root) {
    root.querySelectorAll(".chart-scroll[data-scroll-end]").forEach(function (box) {
      box.scrollLeft = box.scrollWidth;
    });
  }

  // The policy blocks inline handlers (onchange=, onsubmit=); these listeners do their job.
  // The older markup is matched too until the templates move to the data attributes.
  var SUBMIT_ON_CHANGE = "[data-submit-on-change], select[onchange*='this.form.submit']";
  var GO_TO = "form[data-go-to], form[onsubmit*='location.href']";

  // <select data-submit-on-change>: submit its form when the choice changes.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field && field.matches && field.matches(SUBMIT_ON_CHANGE) && field.form) {
      field.form.submit();
    }
  });

  // <form data-go-to="/diary/" data-go-field="day">: go to the prefix plus the field's value.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.matches || !form.matches(GO_TO)) return;
    var prefix = form.getAttribute("data-go-to") || form.getAttribute("action") || "";
    var field = form.elements[form.getAttribute("data-go-field") || "day"];
    if (!field || !field.value || prefix.charAt(0) !== "/") return;
    event.preventDefault();
    window.location.href = prefix + encodeURIComponent(field.value);
  });

  document.addEventListener("DOMContentLoaded", function () { scrollCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { scrollCharts(event.target); });
  window.sbScrollCharts = scrollCharts;
})();
