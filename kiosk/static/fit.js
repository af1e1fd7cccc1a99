/* No scrolling, whatever the screen, the mode and the orientation. The layout (kiosk.css)
 * fits the usual screens as they are; a screen that would still need scrolling (long
 * texts, large letters) is set a step smaller (html[data-fit]) until it fits. Targets
 * never go under 64 px, whatever the step. */
"use strict";

(function () {
  // Steps of the text and target size, in per cent (see html[data-fit] in kiosk.css).
  const FIT_STEPS = [100, 95, 90, 85, 80, 75, 70, 65, 60, 55, 50];

  const spills = (e) => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1;

  // fit() for the page whose screen is `screen` inside `app`: call it whenever what is
  // shown, the mode or the size of the window changes.
  window.kioskFitter = function (app, screen) {
    function overflowing() {
      const root = document.documentElement;
      if (root.scrollHeight > innerHeight + 1 || root.scrollWidth > innerWidth + 1) return true;
      // The screen, each of its parts (a part can spill over the next one in a grid), and
      // each button (a long word wider than its button).
      if (spills(screen)) return true;
      for (const part of screen.children) if (!part.hidden && spills(part)) return true;
      for (const b of app.querySelectorAll("button")) {
        if (b.offsetParent !== null && spills(b)) return true;
      }
      return false;
    }

    return function fit() {
      const root = document.documentElement;
      root.dataset.fit = String(FIT_STEPS[0]);
      if (!overflowing()) return;
      let low = 1;
      let high = FIT_STEPS.length - 1; // the smallest step is taken even if it is not enough
      while (low < high) { // the largest step that fits
        const mid = Math.floor((low + high) / 2);
        root.dataset.fit = String(FIT_STEPS[mid]);
        if (overflowing()) low = mid + 1; else high = mid;
      }
      root.dataset.fit = String(FIT_STEPS[low]);
    };
  };
})();
