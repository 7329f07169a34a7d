() => {
  // Citation links open their source in a source panel without navigating (Gradio may give links
  // target=_blank): the chat's [n] markers link to "#src-<turn>-<n>" in the chat's panel, a screening
  // checklist's links to "#crit-<screening>-<trial>-<row>" in the screening panel. A link to "#screen"
  // (under a chat answer that screened a patient) opens the "Screen a patient" tab.
  if (window.__ctaSources) return;
  window.__ctaSources = true;

  const ANCHOR = /^(?:src-\d+-\d+|crit-\d+-\d+-\d+)$/;

  // Inside a source's section text (which scrolls by itself), bring the highlighted quote into view.
  function showMark(el) {
    const ctx = el.querySelector(".ctx");
    const mark = el.querySelector("mark.quote");
    if (!ctx || !mark || ctx.scrollHeight <= ctx.clientHeight) return;
    ctx.scrollTop += mark.getBoundingClientRect().top - ctx.getBoundingClientRect().top - 24;
  }

  function openSource(id) {
    const el = document.getElementById(id);
    if (!el) return false;
    for (let p = el; p; p = p.parentElement) {
      if (p.tagName === "DETAILS") p.open = true;
    }
    const panel = el.closest(".sources-panel") || document;
    panel.querySelectorAll(".src.current").forEach((s) => s.classList.remove("current"));
    el.classList.add("current");
    showMark(el);
    // the chat's panel lists every source (scroll this one to the top); the screening panel shows one
    el.scrollIntoView({ block: id.startsWith("crit-") ? "nearest" : "start", behavior: "instant" });
    const summary = el.querySelector("summary");
    if (summary) summary.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener(
    "click",
    (ev) => {
      const link = ev.target && ev.target.closest ? ev.target.closest("a.cite, a.to-screen") : null;
      if (!link) return;
      ev.preventDefault();
      ev.stopPropagation();
      const id = (link.getAttribute("href") || "").replace(/^#/, "");
      if (link.classList.contains("to-screen")) {
        const tab = document.getElementById("screen-tab-button");
        if (tab) tab.click();
      } else if (ANCHOR.test(id)) {
        openSource(id);
      }
    },
    true
  );

  // A new answer's sources, or a new screening's, start at the top of their panel.
  const seen = {};
  new MutationObserver(() => {
    for (const [sel, key, boxId] of [
      ["#sources .latest", "data-turn", "sources-box"],
      ["#screen-sources", "data-key", "screen-sources-box"],
    ]) {
      const el = document.querySelector(sel);
      const value = el ? el.getAttribute(key) : null;
      if (value === seen[sel]) continue;
      seen[sel] = value;
      const box = document.getElementById(boxId);
      if (box) box.scrollTop = 0;
      if (el) el.querySelectorAll(".src[open]").forEach(showMark);
    }
  }).observe(document.body, { childList: true, subtree: true });
}
