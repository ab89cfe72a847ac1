// Move the focus to the error summary (or the notice of a page shown again), so that screen readers announce it
// and keyboard users start there.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("resume-erreurs") || document.getElementById("avis-page");
  if (summary) {
    summary.focus();
  }
});
