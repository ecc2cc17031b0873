// eventsite default theme: progressive enhancements only; the site works without JavaScript.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
})();
