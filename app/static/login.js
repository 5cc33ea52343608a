// Provider buttons on the login page fill the OpenID field; a provider whose
// address holds "{username}" asks for the username first, in the words of
// its data-needs-username.
document.addEventListener("DOMContentLoaded", () => {
  const field = document.getElementById("openid");
  if (!field) return;
  for (const button of document.querySelectorAll("button.provider")) {
    button.addEventListener("click", () => {
      let url = button.dataset.url;
      if (button.dataset.needsUsername) {
        const name = window.prompt(button.dataset.needsUsername);
        if (!name) return;
        url = url.replace("{username}", encodeURIComponent(name.trim()));
      }
      field.value = url;
      field.focus();
    });
  }
});
