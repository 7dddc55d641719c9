// The progress bar of a download being prepared: asks the same page for
// {status, done, total} as JSON every second, and reloads it once the file is ready
// (or failed), so the page then shows the link or the reason.
(function () {
  "use strict";
  const bar = document.querySelector("progress[data-status-url]");
  if (!bar) return;
  const text = document.getElementById("download-progress-text");
  const template = bar.dataset.progressText || "{done} / {total}";
  const url = bar.dataset.statusUrl + "?format=json";

  function show(done, total) {
    bar.max = Math.max(total, 1);
    bar.value = done;
    if (text) text.textContent = template.replace("{done}", done).replace("{total}", total);
  }

  async function poll() {
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
      });
      if (response.ok) {
        const data = await response.json();
        show(data.done, data.total);
        if (data.status !== "queued" && data.status !== "running") {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A network hiccup: the next poll tries again.
    }
    window.setTimeout(poll, 1000);
  }

  window.setTimeout(poll, 1000);
})();
