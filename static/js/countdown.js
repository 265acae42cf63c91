// Live "time left" on offer cards. Reads data-seconds-left (server time), so a wrong
// client clock does not matter; htmx re-renders the list every 30 s anyway.
(function () {
  "use strict";
  var started = Date.now();
  function format(seconds) {
    if (seconds <= 0) return "0:00:00";
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
  }
  function tick() {
    var elapsed = Math.floor((Date.now() - started) / 1000);
    document.querySelectorAll(".countdown[data-seconds-left]").forEach(function (el) {
      if (!el.dataset.base) { el.dataset.base = el.dataset.secondsLeft; el.dataset.at = elapsed; }
      var left = parseInt(el.dataset.base, 10) - (elapsed - parseInt(el.dataset.at, 10));
      el.textContent = format(left);
      el.classList.toggle("bad", left < 3600);
    });
  }
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 1000);
  tick();
})();
