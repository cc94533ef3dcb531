// "Select all on this page": an <input type=checkbox data-select-all="NAME"> checks or clears every enabled
// checkbox named NAME in its form, and shows whether all, some or none are checked. Hidden until this runs,
// so without script the form is used item by item.
(() => {
  const boxes = (master) => {
    const form = master.form || master.closest("form");
    if (!form) return [];
    return Array.from(form.querySelectorAll(`input[type=checkbox][name="${master.dataset.selectAll}"]`))
      .filter((box) => !box.disabled);
  };
  const refresh = (master) => {
    const all = boxes(master);
    const checked = all.filter((box) => box.checked).length;
    master.checked = all.length > 0 && checked === all.length;
    master.indeterminate = checked > 0 && checked < all.length;
  };
  const masters = Array.from(document.querySelectorAll("input[type=checkbox][data-select-all]"));
  masters.forEach((master) => {
    const holder = master.closest("[data-select-all-holder]") || master;
    holder.hidden = false;
    master.addEventListener("change", () => {
      boxes(master).forEach((box) => { box.checked = master.checked; });
      master.indeterminate = false;
    });
    refresh(master);
  });
  document.addEventListener("change", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLInputElement) || target.hasAttribute("data-select-all")) return;
    masters.filter((m) => m.dataset.selectAll === target.name).forEach(refresh);
  });
})();
