// Behaviour that templates may not inline (the Content-Security-Policy allows no inline script):
// a <select data-autosubmit> submits its form when changed.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
  }
});

// A <details data-wide-open> (the header's menu, the filter panels) is always open on wide screens; the CSS does
// it with ::details-content, this does it where that is not supported. On phones it stays as the page sent it.
(() => {
  if (typeof CSS !== "undefined" && CSS.supports && CSS.supports("selector(::details-content)")) return;
  if (!window.matchMedia("(min-width: 768px)").matches) return;
  document.querySelectorAll("details[data-wide-open]").forEach((details) => { details.open = true; });
})();
