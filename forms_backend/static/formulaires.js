// Move the focus to the error summary, so that screen readers announce it and keyboard users start there.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("resume-erreurs");
  if (summary) {
    summary.focus();
  }
});
