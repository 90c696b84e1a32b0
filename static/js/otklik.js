// Small progressive enhancements; every page works without them.
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-check-all]");
  if (all) {
    document.querySelectorAll("input[name=ticket_ids]").forEach((box) => { box.checked = all.checked; });
  }
});
document.addEventListener("change", (event) => {
  const radio = event.target.closest("input[name=kind]");
  if (radio) {
    const box = radio.closest(".reply-box");
    if (box) box.classList.toggle("note-mode", radio.value === "note");
  }
});
