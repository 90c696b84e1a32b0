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

// SLA countdowns: the server renders the remaining time; keep it ticking between refreshes.
(() => {
  const ru = document.documentElement.lang === "ru";
  const span = (seconds) => {
    const sign = seconds < 0 ? "−" : "";
    const minutes = Math.floor(Math.abs(seconds) / 60);
    const d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    if (d) return `${sign}${d} ${ru ? "д" : "d"} ${h} ${ru ? "ч" : "h"}`;
    if (h) return `${sign}${h} ${ru ? "ч" : "h"} ${m} ${ru ? "м" : "m"}`;
    return `${sign}${m} ${ru ? "м" : "m"}`;
  };
  const tick = () => {
    const now = Date.now() / 1000;
    document.querySelectorAll(".sla[data-due]").forEach((el) => {
      const due = Number(el.dataset.due), risk = Number(el.dataset.risk);
      el.textContent = span(due - now);
      el.classList.toggle("sla-breached", now > due);
      el.classList.toggle("sla-risk", now <= due && now >= risk);
      el.classList.toggle("sla-ok", now < risk);
    });
  };
  setInterval(tick, 15000);
})();

// Live alerts (templates/notifications/_live.html): each toast leaves after a while.
document.addEventListener("htmx:afterSettle", () => {
  document.querySelectorAll("#toasts .toast:not([data-timer])").forEach((toast) => {
    toast.dataset.timer = "1";
    setTimeout(() => { toast.classList.add("leaving"); setTimeout(() => toast.remove(), 500); }, 8000);
  });
});
