// Shows the target level the job grid suggests when a job is chosen.
(function () {
  "use strict";
  var levels = JSON.parse(document.getElementById("job-levels").textContent);
  var job = document.getElementById("id_job");
  var target = document.getElementById("id_target_level");
  var note = document.getElementById("target-suggestion");
  if (!job || !target || !note) return;
  function update() {
    var level = levels[job.value];
    note.textContent = level ? note.dataset.template.replace("%s", level) : "";
    if (level && !target.value) target.value = level;
  }
  job.addEventListener("change", update);
})();
