/* Clinic: small progressive enhancements. Every page works without this file.
 *
 * [data-show-when="name=value"]: the container shows only while the form's `name` control
 * (radio group or select) has `value`. While hidden, its inputs are disabled, so they are
 * not submitted and cannot carry a stale answer. Without JavaScript the container stays
 * visible with its hint ("Only if stopped.").
 *
 * [data-css-vars="top:120;len:60"]: the calendar's numbers for its CSS (custom properties
 * --top, --len…), set here because the Content-Security-Policy allows no inline style.
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

  function applyCssVars(root) {
    root.querySelectorAll("[data-css-vars]").forEach(function (el) {
      el.getAttribute("data-css-vars").split(";").forEach(function (pair) {
        var parts = pair.split(":");
        if (parts.length === 2 && /^[a-z]+$/.test(parts[0]) && /^-?[0-9.]+$/.test(parts[1])) {
          el.style.setProperty("--" + parts[0], parts[1]);
        }
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
    applyCssVars(document);
    // A calendar swapped in by htmx (previous/next week) brings its own numbers.
    document.body.addEventListener("htmx:load", function (event) {
      applyCssVars(event.detail.elt.parentNode || event.detail.elt);
    });
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
