// Pagefind's search interface on the "Trouver une solution" page; the index is built by `python -m generator build`.
(function () {
  "use strict";
  function start() {
    var element = document.getElementById("recherche");
    if (!element || typeof PagefindUI === "undefined") {
      return;
    }
    var base = new URL("../pagefind/", document.currentScript ? document.currentScript.src : window.location.href);
    new PagefindUI({
      element: "#recherche",
      bundlePath: base.pathname,
      showImages: false,
      showSubResults: false,
      pageSize: 10,
      openFilters: ["territoire"],
      translations: {
        placeholder: "Rechercher une action, un dispositif…",
        zero_results: "Aucun résultat pour [SEARCH_TERM]",
      },
    });
    var params = new URLSearchParams(window.location.search);
    var input = element.querySelector("input");
    if (input) {
      // Pagefind's field has only a placeholder: give it an accessible name.
      input.setAttribute("aria-label", "Rechercher une action ou un dispositif");
    }
    if (input && params.get("q")) {
      input.value = params.get("q");
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
