/* Progressive enhancement for the booking journey: every step works without this file.
 *
 * 1. Time zone: when the time step's URL names no zone, show times in the browser's own zone
 *    (if it is one we offer) by reloading once with it; the server then adds it to the short list
 *    of zones. The select still lets people change it, and "Another time zone" lists them all.
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
    // The select lists only the likely zones; the server offers every Area/City zone in the
    // areas it names here (such as "UTC" or "Etc/GMT+5" are not offered, so they stay UK time).
    var areas = (form.getAttribute("data-zone-areas") || "").split(" ");
    if (areas.indexOf(zone.split("/")[0]) === -1 || zone.indexOf("/") === -1) {
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
