// Behaviour that templates may not inline (the Content-Security-Policy allows no inline script):
// a <select data-autosubmit> submits its form when changed.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
  }
});
