// Submit the OpenID answer form at once; its Continue button stays as a
// fallback for a browser without script.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-autosubmit]")) form.submit();
});
