/* Otklik web widget: <script src="https://<install>/widget.js" data-lang="ru" async></script>
 * A floating button that opens the install's request form (/request/?embed=1) in a frame.
 * Optional attributes: data-lang (ru|en; default: the browser's), data-label, data-color,
 * data-position (right|left), data-category (a service category id preselected).
 * Self-contained on purpose: no framework, no CDN. See docs/architecture/webform-telephony.md. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__otklikWidget) { return; }
  window.__otklikWidget = true;
  var origin = new URL(script.src, window.location.href).origin;
  var lang = (script.getAttribute("data-lang") || navigator.language || "ru").slice(0, 2).toLowerCase();
  if (lang !== "ru" && lang !== "en") { lang = "en"; }
  var labels = {
    ru: { open: "Написать в поддержку", close: "Закрыть", title: "Обращение в поддержку" },
    en: { open: "Contact support", close: "Close", title: "Contact support" }
  }[lang];
  var color = script.getAttribute("data-color") || "#2563eb";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var category = script.getAttribute("data-category");
  var src = origin + "/request/?embed=1&lang=" + lang + (category ? "&category=" + encodeURIComponent(category) : "");

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = script.getAttribute("data-label") || labels.open;
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;border:0;border-radius:24px;" +
    "padding:12px 18px;font:600 15px/1.2 system-ui,sans-serif;color:#fff;cursor:pointer;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25);background:" + color;

  var panel = document.createElement("div");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", labels.title);
  panel.style.cssText = "position:fixed;bottom:76px;" + side + ":20px;z-index:2147483000;width:380px;" +
    "max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 100px);background:#fff;border-radius:12px;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden;display:none";
  var close = document.createElement("button");
  close.type = "button";
  close.textContent = "×";
  close.setAttribute("aria-label", labels.close);
  close.style.cssText = "position:absolute;top:4px;right:8px;border:0;background:transparent;font-size:22px;cursor:pointer";
  panel.appendChild(close);

  var frame = null;
  function setOpen(open) {
    if (open && !frame) {
      frame = document.createElement("iframe");
      frame.src = src;
      frame.title = labels.title;
      frame.style.cssText = "width:100%;height:100%;border:0";
      panel.insertBefore(frame, close);
    }
    panel.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  button.addEventListener("click", function () { setOpen(panel.style.display === "none"); });
  close.addEventListener("click", function () { setOpen(false); button.focus(); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && panel.style.display !== "none") { setOpen(false); }
  });
  function mount() { document.body.appendChild(panel); document.body.appendChild(button); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
