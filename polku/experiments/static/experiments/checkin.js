// Check-in form: one submission per tap (the server also stores only once).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.classList || !form.classList.contains("exp-checkin-form")) return;
  if (form.dataset.sent === "1") { event.preventDefault(); return; }
  form.dataset.sent = "1";
  const button = form.querySelector("button[type=submit]");
  if (button) button.setAttribute("aria-disabled", "true");
});
