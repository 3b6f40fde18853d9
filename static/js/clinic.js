/* Clinic: small progressive enhancements. Every page works without this file.
 *
 * [data-show-when="name=value"]: the container shows only while the form's `name` control
 * (radio group or select) has `value`. While hidden, its inputs are disabled, so they are
 * not submitted and cannot carry a stale answer. Without JavaScript the container stays
 * visible with its hint ("Only if stopped.").
 *
 * [data-warn-unless-any="a b"]: a warning that shows while none of the form's checkboxes
 * `a`, `b` is ticked (the server renders it the same way for the values it was given).
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function currentValue(form, name) {
    var control = form.elements.namedItem(name);
    if (!control) return null;
    if (typeof RadioNodeList !== "undefined" && control instanceof RadioNodeList) {
      return control.value || null; // the checked radio's value, or "" when none is
    }
    if (control.type === "radio" || control.type === "checkbox") {
      return control.checked ? control.value : null;
    }
    return control.value;
  }

  function update(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (box) {
      var rule = box.getAttribute("data-show-when").split("=");
      var show = currentValue(form, rule[0]) === rule[1];
      box.hidden = !show;
      box.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !show;
      });
    });
  }

  function warn(form) {
    form.querySelectorAll("[data-warn-unless-any]").forEach(function (box) {
      var names = box.getAttribute("data-warn-unless-any").split(" ");
      box.hidden = names.some(function (name) { return currentValue(form, name) !== null; });
    });
  }

  function init() {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-show-when], [data-warn-unless-any]")) return;
      update(form);
      form.addEventListener("change", function () { update(form); warn(form); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
