// StrideBack's only page script (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  // Week charts wider than a phone scroll inside their box: start at the most recent end.
  function scrollCharts(root) {
    root.querySelectorAll(".chart-scroll[data-scroll-end]").forEach(function (box) {
      box.scrollLeft = box.scrollWidth;
    });
  }

  // <select data-submit-on-change>: submit its form when the choice changes.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field && field.matches && field.matches("[data-submit-on-change]") && field.form) {
      field.form.submit();
    }
  });

  // <form data-go-to="/diary/" data-go-field="day">: go to the prefix plus the field's value.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.matches || !form.matches("form[data-go-to]")) return;
    var field = form.elements[form.getAttribute("data-go-field") || "day"];
    if (!field || !field.value) return;
    event.preventDefault();
    window.location.href = form.getAttribute("data-go-to") + encodeURIComponent(field.value);
  });

  document.addEventListener("DOMContentLoaded", function () { scrollCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { scrollCharts(event.target); });
  window.sbScrollCharts = scrollCharts;
})();
