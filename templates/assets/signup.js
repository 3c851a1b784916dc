// Newsletter signup without leaving the page: send the form with fetch, show the answer
// in the form's role=status region, and mark the fields that need fixing. Without
// JavaScript the form posts as usual and the server answers with a page.
(function () {
  "use strict";

  const form = document.querySelector("form[data-signup]");
  if (!form || !window.fetch || !window.URLSearchParams) {
    return;
  }
  const status = form.querySelector("[data-signup-status]");
  const button = form.querySelector("button[type=submit]");
  const fields = {
    email: form.querySelector("#signup-email"),
    name: form.querySelector("#signup-name"),
    lists: form.querySelector("input[type=checkbox][id^='signup-list-']"),
    consent: form.querySelector("#signup-consent"),
  };

  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach((node) => node.remove());
    form.querySelectorAll("[aria-invalid]").forEach((node) => {
      node.removeAttribute("aria-invalid");
      const ids = (node.getAttribute("aria-describedby") || "")
        .split(" ")
        .filter((id) => id && !id.endsWith("-fejl"));
      if (ids.length) {
        node.setAttribute("aria-describedby", ids.join(" "));
      } else {
        node.removeAttribute("aria-describedby");
      }
    });
  }

  function showErrors(errors) {
    let first = null;
    Object.keys(errors).forEach((name) => {
      const field = fields[name];
      if (!field) {
        return;
      }
      const message = document.createElement("p");
      message.className = "status field__error";
      message.id = "signup-" + name + "-fejl";
      message.dataset.errorFor = name;
      message.textContent = errors[name];
      const anchor = name === "lists" ? field.closest("fieldset").querySelector("legend")
        : name === "consent" ? field.closest(".consent") : field;
      if (name === "lists") {
        anchor.after(message);
      } else {
        anchor.before(message);
      }
      field.setAttribute("aria-invalid", "true");
      const described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", (described ? described + " " : "") + message.id);
      first = first || field;
    });
    if (first) {
      first.focus();
    }
  }

  function say(text) {
    status.textContent = text;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    button.disabled = true;
    say("Sender din tilmelding …");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: {
          "Accept": "application/json",
          "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
        },
        body: new URLSearchParams(new FormData(form)).toString(),
        credentials: "same-origin",
      });
      let data = null;
      try {
        data = await response.json();
      } catch (ignored) {
        data = null;
      }
      if (response.ok && data && data.ok) {
        say(data.message);
        form.reset();
        Array.from(form.children).forEach((child) => {
          if (child !== status) {
            child.hidden = true;
          }
        });
        return;
      }
      say(data && data.message ? data.message
        : "Tilmeldingen kunne ikke gennemføres lige nu. Prøv igen om lidt.");
      if (data && data.errors) {
        showErrors(data.errors);
      }
    } catch (error) {
      say("Vi kunne ikke sende tilmeldingen. Tjek din internetforbindelse, og prøv igen.");
    } finally {
      button.disabled = false;
    }
  });
})();
