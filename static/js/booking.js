/* Progressive enhancement for the booking journey: every step works without this file.
 *
 * 1. Time zone: when the time step's URL names no zone, show times in the browser's own zone
 *    (if it is one we offer) by reloading once with it. The select still lets people change it.
 * 2. Error summary: move focus to it, so keyboard and screen reader users start with the errors.
 */
(function () {
  "use strict";

  function useBrowserZone(form) {
    var params = new URLSearchParams(window.location.search);
    if (params.has("tz") || !window.Intl || !Intl.DateTimeFormat) {
      return;
    }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var select = form.querySelector("select[name=tz]");
    if (!zone || !select || select.value === zone) {
      return;
    }
    var offered = Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
    if (!offered) {
      return;
    }
    params.set("tz", zone);
    window.location.replace(window.location.pathname + "?" + params.toString() + window.location.hash);
  }

  var zoneForm = document.querySelector("[data-zone-form]");
  if (zoneForm) {
    useBrowserZone(zoneForm);
  }

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
})();
