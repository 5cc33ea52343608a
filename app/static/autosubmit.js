// Submit a form that only carries data on (an OpenID answer, an action
// waiting for a proof) at once; its Continue button stays as a fallback for
// a browser without script. Through the prototype: a field named "submit"
// (a form's own button, carried on) hides the form's submit method.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    HTMLFormElement.prototype.submit.call(form);
  }
});
