// Submit a form that only carries data on (an OpenID answer, an action
// waiting for a proof) at once; its Continue button stays as a fallback for
// a browser without script.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-autosubmit]")) form.submit();
});
