/* Progressive enhancement only: every page works without this file.
 *
 * Video blocks: the player is kept in a <template>, so the page sends nothing to the video host
 * until a visitor presses "Play the video here". Without JavaScript the button stays hidden and
 * the link to the video (always present) is the way to watch it.
 */
(function () {
  "use strict";

  function enableVideo(container) {
    var template = container.querySelector("template[data-video-embed]");
    var button = container.querySelector("button[data-video-load]");
    if (!template || !button || !("content" in template)) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var player = template.content.cloneNode(true);
      var frame = player.querySelector("iframe");
      if (frame) {
        var title = container.closest("figure");
        var caption = title && title.querySelector("figcaption");
        if (!frame.getAttribute("title") && caption) {
          frame.setAttribute("title", caption.textContent.trim());
        }
      }
      container.replaceChildren(player);
      container.classList.add("video__player--loaded");
      if (frame) {
        frame.setAttribute("tabindex", "-1");
        frame.focus();
      }
    });
  }

  document.querySelectorAll("[data-video-player]").forEach(enableVideo);
})();
